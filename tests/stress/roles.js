// The stress suite's load generators and meters that run in their own process, so that their
// loops neither disturb nor are disturbed by the measurement in the main one.
//
//   node roles.js <role> '<json args>'     (started by lib.startRole; reports over IPC)
'use strict';
const WebSocket = require('ws');

const [role, argText] = process.argv.slice(2);
const args = JSON.parse(argText || '{}');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function open(url, { userId, appId, mode = 'viewer', token, localAddress }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, localAddress });
    const timer = setTimeout(() => reject(new Error('auth timeout')), 15000);
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', data: { userId, appId, mode, token } })));
    ws.on('message', function first(data) {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'auth_success') { clearTimeout(timer); ws.off('message', first); resolve(ws); }
      if (msg.type === 'auth_error') { clearTimeout(timer); reject(new Error(msg.payload.message)); }
    });
  });
}

// A healthy client of its own app: one `logs` message of one small entry every 10 ms, the next
// only once the previous one is acknowledged; each round trip is recorded. (`logs` rather than
// `ping`, so that a per-connection limit on control messages cannot skew the figure.)
async function meter({ url, auth }) {
  const ws = await open(url, { ...auth, mode: 'producer' });
  const rtts = [];
  let sentAt = 0, waiting = false, stopped = false, closed = false, seq = 0;
  const send = () => {
    if (stopped || closed) return;
    sentAt = performance.now();
    waiting = true;
    ws.send(`{"type":"logs","data":{"logs":[{"message":"meter ${seq++}"}]}}`);
  };
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type !== 'logs_ack' && msg.type !== 'error') return;
    const now = performance.now();
    rtts.push(now - sentAt);
    waiting = false;
    setTimeout(send, Math.max(0, 10 - (now - sentAt)));
  });
  ws.on('close', () => { closed = true; });
  ws.on('error', () => { closed = true; });
  process.on('message', (m) => {
    if (m !== 'stop') return;
    stopped = true;
    const all = [...rtts];
    if (waiting) all.push(performance.now() - sentAt);  // a stall still going on counts too
    all.sort((a, b) => a - b);
    const at = (p) => (all.length ? all[Math.min(all.length - 1, Math.floor((p / 100) * all.length))] : NaN);
    process.send({ report: true, max: all.length ? all.at(-1) : NaN, p50: at(50), p99: at(99), n: all.length, closed });
    ws.terminate();
  });
  send();
  process.send({ started: true });
}

// The noisy producer of the `rate` phase: keeps 64 messages of 100 entries in flight for `ms`,
// counting what was accepted after the first second (the burst is spent by then).
async function noisy({ url, ms }) {
  const ws = await open(url, { userId: 'noisy', appId: 'noisy', mode: 'producer' });
  const batch = JSON.stringify({ type: 'logs', data: { logs: Array.from({ length: 100 }, (_, i) => ({ message: `noise ${i}` })) } });
  let inFlight = 0;
  let offered = 0, accepted = 0, refused = 0;
  const start = Date.now();
  const warm = start + 1000;
  let measuring = false;
  let measureStart = 0;
  const end = start + Number(ms);
  process.send({ started: true });
  await new Promise((resolve) => {
    const pump = () => {
      while (inFlight < 64 && Date.now() < end) {
        ws.send(batch);
        ++inFlight;
      }
      if (Date.now() >= end && inFlight === 0) resolve();
    };
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type !== 'logs_ack' && msg.type !== 'error') return;
      --inFlight;
      if (!measuring && Date.now() >= warm) {
        measuring = true;
        measureStart = Date.now();
      }
      if (measuring) {
        offered += 100;
        if (msg.type === 'logs_ack') accepted += msg.payload.accepted;
        else refused += 100;
      }
      pump();
    });
    pump();
  });
  process.send({ report: true, offered, accepted, refused, seconds: (Date.now() - measureStart) / 1000 });
  ws.terminate();
}

// A producer as fast as the server acknowledges: `inFlight` messages of `perMessage` entries
// for `ms`, then waits (at most 30 s) for the last acknowledgements. Counts accepted entries.
async function flood({ url, appId, ms, perMessage = 500, inFlight = 32 }) {
  const ws = await open(url, { userId: `flood-${appId}`, appId, mode: 'producer' });
  const batch = JSON.stringify({ type: 'logs', data: { logs: Array.from({ length: perMessage }, (_, i) => ({ message: `flood ${appId} ${i} lorem ipsum dolor sit amet` })) } });
  let sent = 0, answered = 0, accepted = 0, rejected = 0;
  const errors = {};
  let closed = false;
  process.send({ started: true });
  const end = Date.now() + ms;
  await new Promise((resolve) => {
    const pump = () => {
      while (!closed && sent - answered < inFlight && Date.now() < end) { ws.send(batch); ++sent; }
      if ((Date.now() >= end || closed) && (answered === sent || closed)) resolve();
    };
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'logs_ack') {
        ++answered;
        accepted += msg.payload.accepted;
        rejected += msg.payload.rejected.length;
      } else if (msg.type === 'error') {
        ++answered;
        errors[msg.payload.code] = (errors[msg.payload.code] || 0) + 1;
      } else return;
      pump();
    });
    ws.on('close', () => { closed = true; resolve(); });
    const tick = setInterval(pump, 50);  // also notices the deadline while nothing comes back
    setTimeout(() => { clearInterval(tick); resolve(); }, ms + 30000);
    pump();
  });
  process.send({ report: true, sent, answered, accepted, rejected, errors, closed });
  ws.terminate();
}

// A producer at a steady rate: every 10 ms, rate/100 entries in one message, for `ms`.
async function paced({ url, appId, rate, ms }) {
  const ws = await open(url, { userId: 'paced', appId, mode: 'producer' });
  const per = Math.max(1, Math.round(rate / 100));
  const batch = JSON.stringify({ type: 'logs', data: { logs: Array.from({ length: per }, (_, i) => ({ message: `paced ${i} lorem ipsum dolor sit amet` })) } });
  let sent = 0, accepted = 0, errors = 0;
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type === 'logs_ack') accepted += msg.payload.accepted;
    else if (msg.type === 'error') ++errors;
  });
  process.send({ started: true });
  const start = performance.now();
  while (performance.now() - start < ms) {
    // Catch up on the schedule, so that the rate holds even when a timer fires late.
    const due = Math.floor((performance.now() - start) / 10);
    while (sent <= due) { ws.send(batch); ++sent; }
    await sleep(5);
  }
  await sleep(1000);
  process.send({ report: true, sentEntries: sent * per, accepted, errors });
  ws.terminate();
}

// One user with write permission sending `send_metrics` of `bytes` JSON as fast as its socket
// takes them, for `ms`.
async function metricsFlood({ url, appId, bytes, ms }) {
  const ws = await open(url, { userId: 'metrics-flooder', appId, mode: 'producer' });
  const message = JSON.stringify({ type: 'send_metrics', data: { metrics: { blob: 'm'.repeat(bytes) } } });
  let sent = 0;
  const errors = {};
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type === 'error') errors[msg.payload.code] = (errors[msg.payload.code] || 0) + 1;
  });
  let closed = false;
  ws.on('close', () => { closed = true; });
  process.send({ started: true });
  const end = Date.now() + ms;
  while (Date.now() < end && !closed) {
    while (ws.bufferedAmount < (4 << 20)) { ws.send(message); ++sent; }
    await new Promise(setImmediate);
  }
  process.send({ report: true, sent, bytes: sent * message.length, errors, closed });
  ws.terminate();
}

// One address holding `slots` WebSocket connections that never authenticate, reopening each
// one the server closes or refuses (after `retryMs`), until told to stop.
async function hog({ url, localAddress, slots, retryMs }) {
  let open = 0, opened = 0, refused = 0, failed = 0, stopped = false;
  function slot() {
    if (stopped) return;
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
    let wasOpen = false;
    ws.on('open', () => { wasOpen = true; ++open; ++opened; });
    ws.on('unexpected-response', (req, res) => { ++refused; res.resume(); req.destroy(); });
    ws.on('error', () => { if (!wasOpen) ++failed; });
    ws.on('close', () => {
      if (wasOpen) --open;
      setTimeout(slot, wasOpen ? 0 : retryMs);
    });
  }
  for (let i = 0; i < slots; ++i) slot();
  const ticker = setInterval(() => process.send({ tick: true, open, opened, refused, failed }), 500);
  process.on('message', (m) => {
    if (m !== 'stop') return;
    stopped = true;
    clearInterval(ticker);
    process.send({ report: true, open, opened, refused, failed });
    setTimeout(() => process.exit(0), 100);
  });
  process.send({ started: true });
}

const roles = { meter, noisy, flood, paced, metricsFlood, hog };
if (!roles[role]) {
  console.error(`roles.js: unknown role ${role}`);
  process.exit(2);
}
// The parent may die without telling us: never outlive it.
process.on('disconnect', () => process.exit(0));
roles[role](args).catch((e) => {
  process.send({ report: true, error: e.message });
  setTimeout(() => process.exit(1), 100);
});
