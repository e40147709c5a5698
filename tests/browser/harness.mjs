// What the browser tests share: their command line, PASS/FAIL lines, and a fanscope server of
// their own on a free port.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

// [binary, screenshot] from the command line, or exit 2 with a usage line.
export function parseArgs(script) {
  const [binary, screenshot] = process.argv.slice(2);
  if (!binary || !screenshot) {
    console.error(`usage: node ${script} FANSCOPE_BINARY SCREENSHOT.png`);
    process.exit(2);
  }
  return { binary, screenshot };
}

let failures = 0;
export function check(condition, what) {
  console.log(`${condition ? 'PASS' : 'FAIL'}: ${what}`);
  if (!condition) failures++;
}
export function fail(error) {
  check(false, String(error.stack || error));
}

// Starts `fanscope --headless --port 0` and resolves once it says where it listens.
export async function startServer(binary) {
  const server = spawn(binary, ['--headless', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  for await (const chunk of server.stdout) {
    output += chunk;
    const match = output.match(/listening on (http:\/\/\S+)/);
    if (match) return { server, base: match[1] };
  }
  throw new Error('fanscope did not say where it listens: ' + output);
}

// SIGTERM, then the exit code is checked; then the process exits with the verdict.
export async function stopServerAndExit(server) {
  server.kill('SIGTERM');
  const [code] = await once(server, 'exit');
  check(code === 0, 'fanscope exits 0 on SIGTERM');
  console.log(failures === 0 ? 'all passed' : `${failures} failed`);
  process.exit(failures === 0 ? 0 : 1);
}

// Playwright's and Puppeteer's pages both take { path }.
export async function saveScreenshot(page, path) {
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path });
  console.log('screenshot: ' + path);
}
