// The web page in Debian's Firefox ESR (puppeteer-core over WebDriver BiDi; never a downloaded
// browser): it follows the server over a WebSocket, a route button's request shows its task
// bars on the canvas, a page that polls (?transport=poll) sees another client's request, and a
// narrow window fits. The heavier checks (timing under load, several pages) run in Chromium.
//
// Usage: node firefox.mjs FANSCOPE_BINARY SCREENSHOT.png
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { check, fail, parseArgs, saveScreenshot, startServer, stopServerAndExit } from './harness.mjs';

const { binary, screenshot } = parseArgs('firefox.mjs');

const { server, base } = await startServer(binary);
// A profile of our own, so that nothing of the user's (or a previous run's) is read or kept.
const profile = mkdtempSync(join(tmpdir(), 'fanscope-firefox-'));
const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath: '/usr/bin/firefox-esr',
  headless: true,
  userDataDir: profile,
  // No updates, telemetry or other traffic that a closed network refuses.
  extraPrefsFirefox: { 'app.update.enabled': false, 'datareporting.policy.dataSubmissionEnabled': false, 'network.captive-portal-service.enabled': false },
});

try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(base + '/');
  await page.waitForFunction(() => window.fanscope && window.fanscope.transport() === 'websocket', { timeout: 10000 });
  check(true, 'Firefox follows the server over a WebSocket');

  await page.evaluate(() => {
    const set = (id, value) => { const input = document.getElementById(id); input.value = value; input.dispatchEvent(new Event('input', { bubbles: true })); input.dispatchEvent(new Event('change', { bubbles: true })); };
    set('tasks', '3'); set('latency_ms', '200');
  });
  const drawnBefore = await page.evaluate(() => window.fanscope.drawnBars());
  await page.click('button[data-route="/async-scoped"]');
  await page.waitForFunction(() => document.getElementById('summary').textContent.includes('→ 200'), { timeout: 10000 });
  const requestId = Number((await page.$eval('#summary', (e) => e.textContent)).match(/#(\d+)/)[1]);
  await page.waitForFunction((id) => window.fanscope.tasks().filter((t) => t.request === id && t.status === 'ok').length === 3, { timeout: 2000 }, requestId);
  check(true, `request #${requestId}'s three tasks show as ok`);
  await page.waitForFunction((before) => window.fanscope.drawnBars() >= before + 4, { timeout: 2000 }, drawnBefore);
  check(true, 'the canvas draws the request and its task bars');

  // Polling only: a request from another client (Node's fetch) shows up on the page.
  const polled = await browser.newPage();
  await polled.goto(base + '/?transport=poll');
  await polled.waitForFunction(() => window.fanscope && window.fanscope.transport() === 'polling', { timeout: 10000 });
  const answer = await (await fetch(base + '/async-worker?tasks=2&latency_ms=50')).json();
  await polled.waitForFunction((id) => window.fanscope.tasks().filter((t) => t.request === id && t.status === 'ok').length === 2, { timeout: 2000 }, answer.request_id);
  check(true, 'a polling page shows another client\'s request');
  await polled.close();

  await page.setViewport({ width: 480, height: 900 });
  const narrow = await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve({
    scroll: document.documentElement.scrollWidth, canvas: document.getElementById('timeline').clientWidth }))));
  check(narrow.scroll <= 482 && narrow.canvas >= 400, `a narrow window fits (page ${narrow.scroll} px wide, canvas ${narrow.canvas} px)`);
  await page.setViewport({ width: 1280, height: 800 });
  await page.click('#fit');
  await saveScreenshot(page, screenshot);
  check(errors.length === 0, 'no script errors' + (errors.length ? ': ' + errors.join('; ') : ''));
} catch (error) {
  fail(error);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  await stopServerAndExit(server);
}
