// Fanscope's web page: buttons for the fan-out routes, the answer, and the live timeline drawn
// on a canvas with the window's lanes, colours and legend. Follows the server over a WebSocket
// (/api/ws), falling back to polling /api/events when that is not possible.
'use strict';

(() => {
  // The window's TimelineStyle, colour for colour.
  const COLOR = {
    request: '#3f6fb8', requestOpen: '#90b4e6', running: '#a5d6a7', ok: '#2e9d4f', failed: '#d32f2f',
    timed_out: '#f58f00', deadline: '#c62828', ranOn: '#757575', http: '#1565c0', cpu: '#6a1b9a',
    abandoned: '#cfd8dc', abandonedInk: '#455a64', cancelled: '#607d8b', refused: '#c2185b',
  };
  // A request_end with this status was abandoned: its client hung up first (nginx's 499), no
  // answer was sent, and its unfinished tasks ended 'cancelled'.
  const ABANDONED = 499;
  // A request_end with this status was refused before it started: its work did not fit in the
  // server's budget, and no task ran. It takes no time, so it is drawn REFUSED_W pixels wide.
  const REFUSED = 503, REFUSED_W = 5;
  const LANE_COLOR = { worker: '#3f6fb8', continuations: '#bdbdbd', loop: '#7b1fa2', pool: '#00838f', upstream: '#6d4c41', thread: '#9e9e9e' };
  const KIND_ORDER = { worker: 0, continuations: 1, loop: 2, pool: 3, upstream: 4, thread: 5 };
  const LABEL_W = 118, AXIS_H = 24, PAD = 3, STRIP_H = 12, GAP = 2, SLOT_H = 7, MAX_TASK_H = 84, MAX_STRIP_H = 72, EMPTY_H = 8;
  const DEFAULT_WIDTH_MS = 10000;
  // The page's memory bound, as the window's: past this many spans the oldest finished requests
  // and their tasks are forgotten, a quarter at a time. ?max_spans=N changes it (tests do).
  const MAX_SPANS = Math.max(100, Number(new URLSearchParams(location.search).get('max_spans')) || 250000);

  const $ = (id) => document.getElementById(id);
  const canvas = $('timeline');
  const box = $('canvas-box');

  // ---- the model: lanes, requests and tasks, rebuilt from the server's events ----------------
  const state = {
    lanes: new Map(), requests: new Map(), tasks: new Map(), neverStarted: 0, open: 0,
    lastSeq: 0, offsetMs: null, transport: 'connecting', view: { start: 0, end: DEFAULT_WIDTH_MS },
    follow: true, dirty: true, drawnBars: 0, bounds: null,
    stats: { messages: 0, receiveMs: 0, maxReceiveMs: 0, frames: 0, renderMs: 0 },
  };

  // Sub-rows of a lane, as the window assigns them: a span takes the lowest row free at its
  // start. Free rows wait in a min-heap, so that thousands of overlapping tasks stay cheap.
  class Slots {
    constructor() { this.count = 0; this.free = []; this.freeAt = new Map(); }
    take(start) {
      const heap = this.free;
      if (heap.length && this.freeAt.get(heap[0]) <= start) {
        const slot = heap[0];
        const last = heap.pop();
        if (heap.length) { heap[0] = last; this.sink(0); }
        this.freeAt.delete(slot);
        return slot;
      }
      return this.count++;
    }
    release(slot, end) {
      this.freeAt.set(slot, end);
      const heap = this.free;
      heap.push(slot);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (heap[parent] <= heap[i]) break;
        [heap[parent], heap[i]] = [heap[i], heap[parent]];
        i = parent;
      }
    }
    sink(i) {
      const heap = this.free;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && heap[l] < heap[m]) m = l;
        if (r < heap.length && heap[r] < heap[m]) m = r;
        if (m === i) return;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
  }

  function laneOf(id) {
    let lane = state.lanes.get(id);
    if (!lane) {
      lane = { id, name: 'thread-' + id, kind: 'thread', ordinal: id + 1, requests: [], tasks: [], reqSlots: new Slots(), taskSlots: new Slots() };
      state.lanes.set(id, lane);
    }
    return lane;
  }

  function extend(t) {
    if (!state.bounds) state.bounds = { first: t, last: t };
    state.bounds.first = Math.min(state.bounds.first, t);
    state.bounds.last = Math.max(state.bounds.last, t);
  }

  function apply(e) {
    switch (e.type) {
      case 'request_start': {
        const lane = laneOf(e.lane);
        const r = { id: e.request, route: e.route, lane: e.lane, start: e.t_ms, end: null, deadline: e.t_ms + e.timeout_ms, http: 0, tasks: [] };
        r.slot = lane.reqSlots.take(r.start);
        state.open++;
        lane.requests.push(r);
        state.requests.set(r.id, r);
        extend(r.start);
        break;
      }
      case 'request_end': {
        const r = state.requests.get(e.request);
        if (!r || r.end !== null) break;
        r.end = e.t_ms; r.http = e.http_status; r.abandoned = e.http_status === ABANDONED; r.refused = e.http_status === REFUSED;
        laneOf(r.lane).reqSlots.release(r.slot, r.end);
        state.open--;
        extend(r.end);
        break;
      }
      case 'task_start': {
        const lane = laneOf(e.lane);
        const t = { request: e.request, task: e.task, lane: e.lane, start: e.t_ms, end: null, status: 'running', kind: e.kind, outlives: false, released: null, seenStart: Date.now(), seenEnd: null, publishLagMs: state.messageNowMs - e.t_ms, startSeenAt: performance.now(), endSeenAt: null };
        t.slot = lane.taskSlots.take(t.start);
        state.open++;
        lane.tasks.push(t);
        state.tasks.set(e.request + '.' + e.task, t);
        state.requests.get(e.request)?.tasks.push(t);
        extend(t.start);
        break;
      }
      case 'task_end': {
        const t = state.tasks.get(e.request + '.' + e.task);
        if (!t) { state.neverStarted++; break; } // given up before any thread took it
        if (t.end !== null) break;
        t.end = e.t_ms; t.status = e.status; t.outlives = !!e.outlives; t.seenEnd = Date.now(); t.endSeenAt = performance.now(); t.endPublishLagMs = state.messageNowMs - e.t_ms;
        if (!t.outlives) { laneOf(t.lane).taskSlots.release(t.slot, t.end); state.open--; }
        extend(t.end);
        break;
      }
      case 'task_released': {
        const t = state.tasks.get(e.request + '.' + e.task);
        if (!t || !t.outlives || t.released !== null) break;
        t.released = e.t_ms;
        laneOf(t.lane).taskSlots.release(t.slot, t.released);
        state.open--;
        extend(t.released);
        break;
      }
    }
  }

  const isOpen = (span) => span.end === null || (span.outlives && span.released === null);

  // Oldest first (Maps keep insertion order), finished requests only, down to three quarters of
  // the bound; then the lanes drop what was forgotten in one pass each.
  function forgetOldest() {
    let excess = state.requests.size + state.tasks.size - Math.floor(MAX_SPANS * 3 / 4);
    for (const r of state.requests.values()) {
      if (excess <= 0) break;
      if (isOpen(r) || r.tasks.some(isOpen)) continue;
      r.forgotten = true;
      state.requests.delete(r.id);
      for (const t of r.tasks) { t.forgotten = true; state.tasks.delete(t.request + '.' + t.task); }
      excess -= 1 + r.tasks.length;
    }
    // Tasks of requests that started before this page joined have no request to go with.
    for (const [key, t] of state.tasks) {
      if (excess <= 0) break;
      if (!state.requests.has(t.request) && !isOpen(t)) { t.forgotten = true; state.tasks.delete(key); excess--; }
    }
    let first = Infinity;
    for (const lane of state.lanes.values()) {
      lane.requests = lane.requests.filter((r) => !r.forgotten);
      lane.tasks = lane.tasks.filter((t) => !t.forgotten);
      for (const span of lane.requests) first = Math.min(first, span.start);
      for (const span of lane.tasks) first = Math.min(first, span.start);
    }
    if (state.bounds && first !== Infinity) state.bounds.first = first;
  }

  function forgetSpans() {
    for (const lane of state.lanes.values()) {
      lane.requests = []; lane.tasks = []; lane.reqSlots = new Slots(); lane.taskSlots = new Slots();
    }
    state.requests.clear(); state.tasks.clear(); state.neverStarted = 0; state.bounds = null; state.open = 0;
    state.dirty = true;
  }

  // One message of the feed, from the WebSocket or a poll.
  function receive(msg) {
    if (msg.last < state.lastSeq) { // the server restarted: start afresh
      state.lanes.clear(); forgetSpans(); state.lastSeq = 0; state.offsetMs = null;
    }
    for (const l of msg.lanes || []) {
      const lane = laneOf(l.id);
      lane.name = l.name; lane.kind = l.kind; lane.ordinal = l.ordinal;
    }
    state.messageNowMs = msg.now_ms;
    for (const e of msg.events || []) {
      if (e.seq <= state.lastSeq) continue; // seen already (a poll overlapping the socket)
      apply(e);
      state.lastSeq = e.seq;
    }
    state.lastSeq = Math.max(state.lastSeq, msg.last || 0);
    if (state.requests.size + state.tasks.size > MAX_SPANS) forgetOldest();
    // The server's clock = ours + offset. The message that travelled fastest gives the best
    // estimate, so keep the largest offset seen (both clocks are monotonic).
    const offset = msg.now_ms - performance.now();
    state.offsetMs = state.offsetMs === null ? offset : Math.max(state.offsetMs, offset);
    state.dirty = true;
    return msg.more;
  }

  const serverNow = () => (state.offsetMs === null ? 0 : performance.now() + state.offsetMs);

  // ---- following the server ------------------------------------------------------------------
  let socket = null;
  let polling = false;

  function setTransport(transport) {
    state.transport = transport;
    const badge = $('connection');
    badge.textContent = { websocket: 'live (WebSocket)', polling: 'live (polling)', offline: 'server unreachable' }[transport] || transport;
    badge.className = 'badge' + (transport === 'websocket' ? ' live' : transport === 'polling' ? ' polling' : '');
  }

  // ?transport=poll follows by polling only: for proxies that refuse WebSockets, and to test it.
  const pollOnly = new URLSearchParams(location.search).get('transport') === 'poll';

  function connect() {
    if (pollOnly) { startPolling(); return; }
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/ws?since=' + state.lastSeq;
    try {
      socket = new WebSocket(url);
    } catch (e) {
      startPolling();
      return;
    }
    let opened = false;
    socket.onopen = () => {
        opened = true;
        setTransport('websocket');
        showFeedNote('');
    };
    socket.onmessage = (event) => {
      const began = performance.now();
      receive(JSON.parse(event.data));
      const took = performance.now() - began;
      state.stats.messages++;
      state.stats.receiveMs += took;
      state.stats.maxReceiveMs = Math.max(state.stats.maxReceiveMs, took);
    };
    socket.onclose = (event) => {
        socket = null;
        startPolling();
        // Refused (the server has as many live pages as it takes) or cut off for falling behind:
        // say why this page polls, and ask again less often.
        if (event.code === 1008)
            showFeedNote('Cut off the live feed for falling behind; polling instead.');
        else if (event.code === 1013 || !opened)
            explainRefusal();
        setTimeout(connect, opened && event.code !== 1013 ? 2000 : 10000);
    };
  }

  function showFeedNote(text)
  {
      const note = $('feed-note');
      note.textContent = text;
      note.hidden = !text;
  }

  async function explainRefusal()
  {
      try {
          const info = await (await fetch('/api/info')).json();
          if (info.live_clients >= info.max_live_clients)
              showFeedNote(`The server already has ${
                  info.max_live_clients} live pages (--max-live-clients); this one polls /api/events instead.`);
          else
              showFeedNote(
                  'The live WebSocket is not available; this page polls /api/events instead.');
      } catch (e) {
          // offline: the badge says so
      }
  }

  async function startPolling() {
    if (polling) return;
    polling = true;
    while (!socket || socket.readyState !== WebSocket.OPEN) {
      try {
        const reply = await fetch('/api/events?since=' + state.lastSeq);
        const more = receive(await reply.json());
        if (!socket || socket.readyState !== WebSocket.OPEN) setTransport('polling');
        // Ten polls a second when idle: an event shows within the page's 250 ms budget.
        if (!more) await new Promise((resolve) => setTimeout(resolve, 100));
      } catch (e) {
        setTransport('offline');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    polling = false;
  }

  // ---- drawing ---------------------------------------------------------------------------------
  function makePattern(draw, color) {
    const tile = document.createElement('canvas');
    tile.width = tile.height = 8;
    const g = tile.getContext('2d');
    g.strokeStyle = color; g.fillStyle = color; g.lineWidth = 1;
    draw(g);
    return tile;
  }
  const darker = (hex, factor) => {
    const n = parseInt(hex.slice(1), 16);
    const c = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((v) => Math.round(v / factor));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  };
  const TILES = {
    failed: makePattern((g) => { g.beginPath(); g.moveTo(0, 0); g.lineTo(8, 8); g.moveTo(8, 0); g.lineTo(0, 8); g.stroke(); }, darker(COLOR.failed, 1.7)),
    timed_out: makePattern((g) => { g.beginPath(); g.moveTo(0, 8); g.lineTo(8, 0); g.stroke(); }, darker(COLOR.timed_out, 1.7)),
    cancelled: makePattern((g) => { g.fillRect(0, 3, 8, 1); g.fillRect(0, 7, 8, 1); }, darker(COLOR.cancelled, 1.7)),
    ranOn: makePattern((g) => { g.fillRect(1, 1, 1, 1); g.fillRect(5, 5, 1, 1); g.fillRect(1, 5, 1, 1); g.fillRect(5, 1, 1, 1); }, COLOR.ranOn),
  };
  const patterns = new Map();
  function pattern(ctx, name) {
    if (!patterns.has(name)) patterns.set(name, ctx.createPattern(TILES[name], 'repeat'));
    return patterns.get(name);
  }

  // state: 'open', 'answered', 'abandoned' (pale, outlined in dashes, struck through) or
  // 'refused' (magenta, crossed).
  function paintRequest(ctx, x, y, w, h, state) {
    if (state === 'refused') {
      ctx.fillStyle = COLOR.refused;
      ctx.fillRect(x, y, w, h);
      if (w >= 4 && h >= 4) {
        ctx.strokeStyle = '#ffffff';
        ctx.beginPath(); ctx.moveTo(x + 1, y + 1); ctx.lineTo(x + w - 1, y + h - 1);
        ctx.moveTo(x + 1, y + h - 1); ctx.lineTo(x + w - 1, y + 1); ctx.stroke();
      }
      return;
    }
    if (state === 'abandoned') {
      ctx.fillStyle = COLOR.abandoned;
      ctx.fillRect(x, y, w, h);
      if (w >= 3) {
        ctx.strokeStyle = COLOR.abandonedInk;
        ctx.setLineDash([3, 2]); ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1); ctx.setLineDash([]);
        ctx.beginPath(); ctx.moveTo(x, y + h / 2); ctx.lineTo(x + w, y + h / 2); ctx.stroke();
      }
      return;
    }
    const color = state === 'open' ? COLOR.requestOpen : COLOR.request;
    ctx.fillStyle = color;
    ctx.fillRect(x, y, w, h);
    if (w >= 3) { ctx.strokeStyle = darker(color, 1.4); ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1); }
  }

  function paintTask(ctx, x, y, w, h, status) {
    const color = COLOR[status] || COLOR.running;
    ctx.fillStyle = color;
    ctx.fillRect(x, y, w, h);
    if ((status === 'failed' || status === 'timed_out' || status === 'cancelled') && w >= 3) {
      ctx.fillStyle = pattern(ctx, status);
      ctx.fillRect(x, y, w, h);
    }
    if (w >= 3 && h >= 3) {
      ctx.setLineDash(status === 'running' ? [3, 2] : []);
      ctx.strokeStyle = darker(color, status === 'running' ? 1.5 : 1.3);
      ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
      ctx.setLineDash([]);
    }
  }

  function paintRanOn(ctx, x, y, w, h) {
    ctx.fillStyle = '#c8c8c8';
    ctx.fillRect(x, y, w, h);
    ctx.fillStyle = pattern(ctx, 'ranOn');
    ctx.fillRect(x, y, w, h);
  }

  function paintKindMark(ctx, x, y, w, h, kind) {
    if ((kind === 'http' || kind === 'cpu') && w >= 6) {
      ctx.fillStyle = COLOR[kind];
      ctx.fillRect(x, y, 3, h);
    }
  }

  function paintDeadline(ctx, x, top, bottom) {
    ctx.strokeStyle = COLOR.deadline; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, bottom); ctx.stroke();
    ctx.lineWidth = 1;
    ctx.fillStyle = COLOR.deadline;
    ctx.beginPath(); ctx.moveTo(x - 4, top); ctx.lineTo(x + 4, top); ctx.lineTo(x, top + 5); ctx.closePath(); ctx.fill();
  }

  const stripHeight = (lane) => Math.min(Math.max(lane.reqSlots.count, 1) * STRIP_H, MAX_STRIP_H);
  const taskHeight = (lane) => (lane.taskSlots.count === 0 ? EMPTY_H : Math.min(lane.taskSlots.count * SLOT_H, MAX_TASK_H));
  const laneHeight = (lane) => 2 * PAD + stripHeight(lane) + GAP + taskHeight(lane);

  function orderedLanes() {
    return [...state.lanes.values()].sort((a, b) => (KIND_ORDER[a.kind] ?? 9) - (KIND_ORDER[b.kind] ?? 9) || a.ordinal - b.ordinal || a.id - b.id);
  }

  function tickStep(msPerPx, minPx) {
    const min = Math.max(1e-6, msPerPx * minPx);
    let magnitude = Math.pow(10, Math.floor(Math.log10(min)));
    for (;;) {
      for (const f of [1, 2, 5]) if (f * magnitude >= min) return f * magnitude;
      magnitude *= 10;
    }
  }

  function formatTime(ms, step) {
    const decimals = (v) => Math.max(0, Math.min(6, Math.ceil(-Math.log10(v))));
    if (step >= 100) return (ms / 1000).toFixed(decimals(step / 1000)) + ' s';
    if (step >= 0.1) return ms.toFixed(decimals(step)) + ' ms';
    return (ms * 1000).toFixed(decimals(step * 1000)) + ' µs';
  }

  function render() {
    const began = performance.now();
    const lanes = orderedLanes();
    const width = box.clientWidth;
    const height = Math.max(box.clientHeight - 2, AXIS_H + lanes.reduce((sum, lane) => sum + laneHeight(lane), 0) + 4);
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
      canvas.style.height = height + 'px';
      patterns.clear();
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const styles = getComputedStyle(document.documentElement);
    const fg = styles.getPropertyValue('--fg').trim(), bg = styles.getPropertyValue('--bg').trim();
    const alt = styles.getPropertyValue('--alt').trim(), line = styles.getPropertyValue('--line').trim(), muted = styles.getPropertyValue('--muted').trim();
    ctx.fillStyle = bg; ctx.fillRect(0, 0, width, height);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';

    const now = serverNow();
    const { start, end } = state.view;
    const left = LABEL_W, right = width - 8;
    const msPerPx = (end - start) / Math.max(1, right - left);
    const xOf = (t) => left + (t - start) / msPerPx;
    let drawn = 0;

    let y = AXIS_H;
    lanes.forEach((lane, row) => {
      const h = laneHeight(lane);
      if (row % 2) { ctx.fillStyle = alt; ctx.fillRect(0, y, width, h); }
      ctx.strokeStyle = line; ctx.beginPath(); ctx.moveTo(0, y + h - 0.5); ctx.lineTo(width, y + h - 0.5); ctx.stroke();
      ctx.fillStyle = LANE_COLOR[lane.kind] || LANE_COLOR.thread;
      ctx.beginPath(); ctx.arc(10, y + PAD + STRIP_H / 2, 4, 0, 2 * Math.PI); ctx.fill();
      ctx.fillStyle = fg; ctx.fillText(lane.name, 20, y + PAD + STRIP_H / 2, LABEL_W - 24);

      ctx.save();
      ctx.beginPath(); ctx.rect(left, y, right - left, h); ctx.clip();
      const stripTop = y + PAD;
      const reqSlots = Math.max(lane.reqSlots.count, 1);
      const reqH = stripHeight(lane) / reqSlots;
      const tasksTop = stripTop + stripHeight(lane) + GAP;
      const slots = Math.max(lane.taskSlots.count, 1);
      const slotH = taskHeight(lane) / slots;
      for (const r of lane.requests) {
        const x0 = xOf(r.start), x1 = Math.max(x0 + (r.refused ? REFUSED_W : 1), xOf(r.end ?? Math.max(r.start, now)));
        if (x1 < left || x0 > right) continue;
        const by = stripTop + (r.slot % reqSlots) * reqH, bh = Math.max(1, reqH - (reqH >= 4 ? 1 : 0));
        const state = r.end === null ? 'open' : r.abandoned ? 'abandoned' : r.refused ? 'refused' : 'answered';
        paintRequest(ctx, x0, by, x1 - x0, bh, state);
        drawn++;
        if (x1 - x0 > 50 && bh >= 10) {
          ctx.fillStyle = state === 'answered' ? '#ffffff' : fg;
          ctx.fillText(`#${r.id} ${r.route}` + (r.abandoned ? ' · abandoned' : r.refused ? ' · refused' : ''), x0 + 4, by + bh / 2, x1 - x0 - 6);
        }
        const dx = xOf(r.deadline);
        const cut = r.end !== null && r.end >= r.deadline - 2;
        if (dx >= left && dx <= right && (r.end === null || cut || x1 - x0 >= 40)) paintDeadline(ctx, dx, stripTop, y + h - 1);
      }
      let lastRight = new Map();
      for (const t of lane.tasks) {
        const x0 = xOf(t.start), x1 = Math.max(x0 + 1, xOf(t.end ?? Math.max(t.start, now)));
        const xLast = t.outlives ? xOf(t.released ?? Math.max(t.end, now)) : x1;
        if (Math.max(x1, xLast) < left || x0 > right) continue;
        const slot = t.slot % slots;
        if (x1 - x0 < 1 && Math.floor(x0) <= (lastRight.get(slot) ?? -1e9)) continue; // same pixel as the last one
        lastRight.set(slot, x1);
        const ty = tasksTop + slot * slotH, th = Math.max(1, slotH - (slotH >= 4 ? 1 : 0));
        paintTask(ctx, x0, ty, x1 - x0, th, t.status);
        paintKindMark(ctx, x0, ty, x1 - x0, th, t.kind);
        if (t.outlives && xLast > x1) paintRanOn(ctx, x1, ty, xLast - x1, th);
        drawn++;
      }
      ctx.restore();
      y += h;
    });
    if (lanes.length === 0) {
      ctx.fillStyle = muted; ctx.textAlign = 'center';
      ctx.fillText('No requests yet: press a route button, or send one with curl.', width / 2, AXIS_H + 60);
      ctx.textAlign = 'start';
    }
    const nowX = xOf(now);
    if (nowX >= left && nowX <= right) {
      ctx.strokeStyle = COLOR.request; ctx.setLineDash([2, 3]);
      ctx.beginPath(); ctx.moveTo(nowX, AXIS_H); ctx.lineTo(nowX, height); ctx.stroke(); ctx.setLineDash([]);
    }
    // The axis, on top.
    ctx.fillStyle = styles.getPropertyValue('--panel').trim(); ctx.fillRect(0, 0, width, AXIS_H);
    ctx.strokeStyle = line; ctx.beginPath(); ctx.moveTo(0, AXIS_H - 0.5); ctx.lineTo(width, AXIS_H - 0.5); ctx.stroke();
    const step = tickStep(msPerPx, 90);
    ctx.fillStyle = fg; ctx.strokeStyle = fg;
    for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
      const x = xOf(t);
      if (x < left) continue;
      ctx.beginPath(); ctx.moveTo(x + 0.5, AXIS_H - 6); ctx.lineTo(x + 0.5, AXIS_H); ctx.stroke();
      ctx.fillText(formatTime(t, step), x + 3, AXIS_H / 2 - 2);
    }
    ctx.fillStyle = muted;
    ctx.fillText(state.follow ? 'live' : 'paused', 6, AXIS_H / 2 - 2);
    state.drawnBars = drawn;
    state.renderMs = performance.now() - began;
    state.stats.frames++;
    state.stats.renderMs += state.renderMs;
  }

  const hasOpenSpans = () => state.open > 0;

  // Drawn at most 30 times a second: enough for bars that grow, and it leaves the page's one
  // thread free for the feed while a load pours events in.
  let lastFrame = 0;
  function frame(time) {
    requestAnimationFrame(frame);
    if (time - lastFrame < 30) return;
    lastFrame = time;
    if (state.follow && state.offsetMs !== null) {
      const width = state.view.end - state.view.start;
      state.view.end = serverNow() + width / 20;
      state.view.start = state.view.end - width;
      state.dirty = true;
    }
    if (state.dirty || hasOpenSpans()) {
      state.dirty = false;
      render();
    }
  }

  // ---- interaction -----------------------------------------------------------------------------
  function setFollow(follow) {
    state.follow = follow;
    $('follow').checked = follow;
    state.dirty = true;
  }

  function zoomAround(anchor, factor) {
    const width = Math.min(Math.max((state.view.end - state.view.start) * factor, 0.01), 24 * 3600 * 1000);
    const fraction = (anchor - state.view.start) / (state.view.end - state.view.start);
    state.view.start = anchor - fraction * width;
    state.view.end = state.view.start + width;
    state.dirty = true;
  }

  canvas.addEventListener('wheel', (event) => {
    if (event.shiftKey) return; // scroll the lanes
    event.preventDefault();
    const rect = canvas.getBoundingClientRect();
    const msPerPx = (state.view.end - state.view.start) / Math.max(1, rect.width - 8 - LABEL_W);
    const anchor = state.follow ? serverNow() : state.view.start + (event.clientX - rect.left - LABEL_W) * msPerPx;
    zoomAround(anchor, Math.pow(1.25, Math.sign(event.deltaY)));
  }, { passive: false });

  let dragX = null;
  canvas.addEventListener('pointerdown', (event) => { dragX = event.clientX; canvas.setPointerCapture(event.pointerId); canvas.style.cursor = 'grabbing'; });
  canvas.addEventListener('pointermove', (event) => {
    if (dragX === null || event.clientX === dragX) return;
    const msPerPx = (state.view.end - state.view.start) / Math.max(1, canvas.clientWidth - 8 - LABEL_W);
    setFollow(false);
    state.view.start += (dragX - event.clientX) * msPerPx;
    state.view.end += (dragX - event.clientX) * msPerPx;
    dragX = event.clientX;
  });
  canvas.addEventListener('pointerup', () => { dragX = null; canvas.style.cursor = ''; });

  $('follow').addEventListener('change', (event) => setFollow(event.target.checked));
  $('fit').addEventListener('click', () => {
    if (!state.bounds) return;
    const last = hasOpenSpans() ? Math.max(state.bounds.last, serverNow()) : state.bounds.last;
    const width = Math.max(0.01, last - state.bounds.first);
    setFollow(false);
    state.view.start = state.bounds.first - width / 20;
    state.view.end = last + width / 20;
  });
  $('clear').addEventListener('click', forgetSpans);
  window.addEventListener('resize', () => { state.dirty = true; });

  // ---- requests from the page -------------------------------------------------------------------
  function query() {
    const params = new URLSearchParams();
    for (const name of ['tasks', 'latency_ms', 'jitter_ms', 'fail_rate', 'timeout_ms']) params.set(name, $(name).value);
    if ($('kind').value !== 'timer') params.set('kind', $('kind').value);
    return params.toString();
  }

  async function send(route) {
    const url = route + '?' + query();
    const started = performance.now();
    $('summary').textContent = 'GET ' + url + ' …';
    try {
      const reply = await fetch(url);
      const text = await reply.text();
      const ms = performance.now() - started;
      let body = null;
      try { body = JSON.parse(text); } catch (e) { /* not JSON */ }
      if (reply.ok && body) {
        const count = (status) => body.tasks.filter((t) => t.status === status).length;
        $('summary').innerHTML = `<b>${route} #${body.request_id}</b> → 200 in <b>${ms.toFixed(1)} ms</b><br>server ${body.elapsed_ms.toFixed(1)} ms · ${count('ok')} ok, ${count('failed')} failed, ${count('timed_out')} timed out`;
      } else {
        $('summary').textContent = `${route} → ${reply.status} in ${ms.toFixed(1)} ms: ${body && body.error ? body.error : text.slice(0, 200)}`;
      }
      $('response').textContent = body ? JSON.stringify(body, null, 2).slice(0, 200000) : text;
    } catch (e) {
      $('summary').textContent = `${route} failed: ${e}`;
    }
  }

  async function loadInfo() {
    try {
      const info = await (await fetch('/api/info')).json();
      $('server').textContent = `${location.host} · Fanscope ${info.version} · ${info.workers} workers · ${info.loop_threads} loop thread(s)`;
      const routes = $('routes');
      routes.textContent = '';
      for (const { route } of info.routes) {
        const button = document.createElement('button');
        button.textContent = route;
        button.dataset.route = route;
        button.title = 'GET ' + route + ' with these parameters';
        button.addEventListener('click', () => send(route));
        routes.appendChild(button);
      }
    } catch (e) {
      setTimeout(loadInfo, 1000);
    }
  }

  // ---- the legend, drawn with the timeline's own painters ----------------------------------------
  function legend() {
    const entries = [
      ['request', (c) => paintRequest(c, 0, 1, 28, 10, 'answered')],
      ['abandoned', (c) => paintRequest(c, 0, 1, 28, 10, 'abandoned')],
      ['refused', (c) => paintRequest(c, 0, 1, 28, 10, 'refused')],
      ['task running', (c) => paintTask(c, 0, 1, 28, 10, 'running')],
      ['ok', (c) => paintTask(c, 0, 1, 28, 10, 'ok')],
      ['failed', (c) => paintTask(c, 0, 1, 28, 10, 'failed')],
      ['timed out', (c) => paintTask(c, 0, 1, 28, 10, 'timed_out')],
      ['cancelled', (c) => paintTask(c, 0, 1, 28, 10, 'cancelled')],
      ['ran on, given up', (c) => paintRanOn(c, 0, 1, 28, 10)],
      ['http', (c) => { paintTask(c, 0, 1, 28, 10, 'ok'); paintKindMark(c, 0, 1, 28, 10, 'http'); }],
      ['cpu', (c) => { paintTask(c, 0, 1, 28, 10, 'ok'); paintKindMark(c, 0, 1, 28, 10, 'cpu'); }],
      ['deadline', (c) => paintDeadline(c, 14, 0, 12)],
    ];
    const host = $('legend');
    for (const [label, paint] of entries) {
      const swatch = document.createElement('canvas');
      swatch.width = 28; swatch.height = 12;
      paint(swatch.getContext('2d'));
      const item = document.createElement('span');
      item.append(swatch, label);
      host.appendChild(item);
    }
  }

  // For tests and the curious: what the page holds and draws.
  window.fanscope = {
    lastSeq: () => state.lastSeq,
    transport: () => state.transport,
    drawnBars: () => state.drawnBars,
    renderMs: () => state.renderMs,
    stats: () => ({ ...state.stats }),
    // How long after they happened (server clock) this page had a request's task events.
    displayLagMs: (request) => [...state.tasks.values()].filter((t) => t.request === request)
      .flatMap((t) => [t.startSeenAt + state.offsetMs - t.start, ...(t.endSeenAt === null ? [] : [t.endSeenAt + state.offsetMs - t.end])]),
    requests: () => [...state.requests.values()].map((r) => ({ ...r, tasks: r.tasks.length })),
    spanCount: () => state.requests.size + state.tasks.size,
    tasks: () => [...state.tasks.values()].map((t) => ({ ...t })),
    lanes: () => orderedLanes().map((l) => ({ id: l.id, name: l.name, kind: l.kind })),
  };

  legend();
  loadInfo();
  connect();
  requestAnimationFrame(frame);
})();
