// `make stress`: the connection and rate limits under load (docs/protocol.md, "Limits"), against
// a release smartlogd on loopback. Not part of `make test`: it opens over 10,000 sockets and
// takes a minute or two. Every phase is bounded in count and time, prints its figures, and
// says PASS or FAIL against its criterion; the exit status is non-zero when any fails.
//
//   node tests/stress/stress.js [--only connections,slowloris,rate,idle,stalled]
//
// SMARTLOG_BIN names the server binary (default build/release/app/smartlogd). Needs
// `ulimit -n` of at least 12,000 (the Makefile raises it to 20,000).
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { fork } = require('node:child_process');
const WebSocket = require('ws');

process.env.SMARTLOG_BIN = process.env.SMARTLOG_BIN ||
  path.resolve(__dirname, '../../build/release/app/smartlogd');
const { startServer } = require('../support/server');

const SOURCES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const results = [];

// ---- helpers ------------------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: over ${ms} ms`)), ms); }),
  ]);
}

function procStatus(pid) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number((text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm')) || [0, 0])[1]);
  return { rss: kib('VmRSS') * 1024, hwm: kib('VmHWM') * 1024 };
}

const mib = (bytes) => `${(bytes / (1 << 20)).toFixed(1)} MiB`;

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function record(phase, figure, value, pass) {
  results.push({ phase, figure, value, pass });
  const verdict = pass === undefined ? '' : pass ? '  PASS' : '  FAIL';
  console.log(`  ${figure.padEnd(58)} ${String(value)}${verdict}`);
}

async function metricsText(server) {
  const res = await fetch(`${server.url}metrics`);
  return res.text();
}

function metricValue(text, name) {
  const m = text.match(new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} ([0-9.e+]+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
}

// A WebSocket that authenticates; resolves {ws, status} where status is 'ok' or the HTTP status
// of a refused upgrade.
function openAuthed(url, { userId, appId, mode = 'viewer', localAddress } = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
    let settled = false;
    const done = (status) => {
      if (!settled) { settled = true; resolve({ ws, status }); }
    };
    ws.on('unexpected-response', (req, res) => {
      res.resume();
      done(res.statusCode);
      req.destroy();
    });
    ws.on('error', (e) => done(`error: ${e.code || e.message}`));
    ws.on('close', () => done('closed'));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', data: { userId, appId, mode } })));
    ws.on('message', function first(data) {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'auth_success') {
        ws.off('message', first);
        done('ok');
      } else if (msg.type === 'auth_error') {
        done(`auth_error ${msg.payload.message}`);
      }
    });
  });
}

function ping(ws, timeoutMs = 10000) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { ws.off('message', on); resolve(false); }, timeoutMs);
    function on(data) {
      if (JSON.parse(data.toString()).type === 'pong') {
        clearTimeout(timer);
        ws.off('message', on);
        resolve(true);
      }
    }
    ws.on('message', on);
    ws.send('{"type":"ping"}');
  });
}

// Opens `count` authenticated connections, `parallel` at a time.
async function openMany(url, count, parallel, make) {
  const out = new Array(count);
  let next = 0;
  async function worker() {
    while (next < count) {
      const i = next++;
      out[i] = await openAuthed(url, make(i));
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

function closeAll(conns) {
  for (const c of conns) if (c && c.ws) c.ws.terminate();
}

// ---- phases --------------------------------------------------------------------------------

// 1,100 connections against max_connections 1000: exactly 100 refused, the rest still served.
async function phaseConnections() {
  console.log('\n[connections] 1,100 connections, max_connections = 1000');
  const server = await startServer({ args: ['--durability', 'memory', '--max-connections', '1000'] });
  try {
    const started = Date.now();
    // All at once: which ones are refused depends on arrival order, how many does not.
    const conns = await withTimeout(Promise.all(Array.from({ length: 1100 }, (_, i) => openAuthed(server.wsUrl, {
      userId: `u${i}`, appId: `app${i % 10}`, localAddress: SOURCES[i % SOURCES.length],
    }))), 60000, 'opening 1,100 connections');
    const ok = conns.filter((c) => c.status === 'ok');
    const refused = conns.filter((c) => c.status === 503);
    const other = conns.filter((c) => c.status !== 'ok' && c.status !== 503);
    record('connections', 'connections opened', `${conns.length} in ${Date.now() - started} ms`);
    record('connections', 'authenticated', ok.length, ok.length === 1000);
    record('connections', 'refused with 503', refused.length, refused.length === 100);
    record('connections', 'other outcomes', other.length ? [...new Set(other.map((c) => c.status))].join(', ') : 0,
      other.length === 0);
    const pongs = await Promise.all(ok.map((c) => ping(c.ws)));
    const answered = pongs.filter(Boolean).length;
    record('connections', 'accepted connections answering ping afterwards', `${answered}/${ok.length}`, answered === ok.length);
    // One more leaves room: the listener still accepts.
    ok[0].ws.terminate();
    let later;
    let refusedLater = 0;  // tried before the server had seen the close
    for (let i = 0; i < 50; ++i) {
      later = await openAuthed(server.wsUrl, { userId: 'late', appId: 'app0' });
      if (later.status === 'ok') break;
      if (later.status === 503) ++refusedLater;
      await sleep(20);
    }
    record('connections', 'a connection after one closed', later.status, later.status === 'ok');
    closeAll(conns);
    later.ws.terminate();
    await sleep(300);
    const text = await metricsText(server);
    record('connections', `smartlog_connections_refused_total (100 + ${refusedLater} retried early)`,
      metricValue(text, 'smartlog_connections_refused_total'),
      metricValue(text, 'smartlog_connections_refused_total') === 100 + refusedLater);
    record('connections', 'server RSS', mib(procStatus(server.proc.pid).rss));
  } finally {
    await server.stop();
  }
}

// 1,000 sockets dripping their headers are closed by header_timeout while normal clients connect.
async function phaseSlowloris() {
  console.log('\n[slowloris] 1,000 sockets dripping headers, header_timeout = 5s (default)');
  const server = await startServer({ args: ['--durability', 'memory', '--max-connections', '2000'] });
  const sockets = [];
  const timers = [];
  try {
    const closeTimes = [];
    const opened = Date.now();
    await Promise.all(Array.from({ length: 1000 }, (_, i) => new Promise((resolve) => {
      // From before the connection exists: the server's deadline starts later, at its accept.
      const t0 = Date.now();
      const s = net.connect({ host: '127.0.0.1', port: server.port, localAddress: SOURCES[i % SOURCES.length] }, () => {
        s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        const drip = setInterval(() => { if (!s.destroyed) s.write('X-Slow: 1\r\n'); }, 500);
        timers.push(drip);
        s.on('close', () => { clearInterval(drip); closeTimes.push(Date.now() - t0); });
        resolve();
      });
      s.on('error', () => {});
      sockets.push(s);
    })));
    record('slowloris', 'slow sockets open', `1000 in ${Date.now() - opened} ms`);
    // Normal clients, while the slow ones hold their slots.
    const latencies = [];
    let served = 0;
    for (let i = 0; i < 100; ++i) {
      const t = Date.now();
      const c = await openAuthed(server.wsUrl, { userId: `n${i}`, appId: 'normal' });
      if (c.status === 'ok' && await ping(c.ws)) {
        ++served;
        latencies.push(Date.now() - t);
      }
      c.ws.terminate();
      await sleep(20);
    }
    latencies.sort((a, b) => a - b);
    record('slowloris', 'normal clients served meanwhile (connect+auth+ping)', `${served}/100`, served === 100);
    record('slowloris', 'their latency p50 / max', `${percentile(latencies, 50)} ms / ${latencies.at(-1)} ms`);
    const deadline = Date.now() + 15000;
    while (closeTimes.length < 1000 && Date.now() < deadline) await sleep(100);
    closeTimes.sort((a, b) => a - b);
    record('slowloris', 'slow sockets closed by the server', `${closeTimes.length}/1000`, closeTimes.length === 1000);
    record('slowloris', 'time to close from connect: min / p50 / max (5 s to 8 s)',
      `${closeTimes[0]} / ${percentile(closeTimes, 50)} / ${closeTimes.at(-1)} ms`,
      closeTimes.length > 0 && closeTimes[0] >= 4990 && closeTimes.at(-1) < 8000);
    const text = await metricsText(server);
    record('slowloris', 'smartlog_http_timeouts_total', metricValue(text, 'smartlog_http_timeouts_total'),
      metricValue(text, 'smartlog_http_timeouts_total') >= 1000);
  } finally {
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    await server.stop();
  }
}

// A noisy app held to app_rate_limit while a quiet app's producer→viewer latency holds.
async function phaseRate() {
  const RATE = 10000;
  console.log(`\n[rate] noisy app flooding against app_rate_limit = ${RATE}/s (burst 1000); quiet app's latency`);
  const server = await startServer({
    args: ['--durability', 'memory', '--app-rate-limit', String(RATE), '--app-rate-burst', '1000'],
  });
  try {
    const viewer = (await openAuthed(server.wsUrl, { userId: 'v', appId: 'quiet' })).ws;
    const producer = (await openAuthed(server.wsUrl, { userId: 'p', appId: 'quiet', mode: 'producer' })).ws;
    const sent = new Map();
    const latencies = [];
    viewer.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type !== 'logs' || msg.history) return;
      const now = performance.now();
      for (const e of msg.payload) {
        const t = sent.get(e.message);
        if (t !== undefined) latencies.push(now - t);
      }
    });
    let seq = 0;
    async function measure(ms) {
      latencies.length = 0;
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const message = `q${seq++}`;
        sent.set(message, performance.now());
        producer.send(JSON.stringify({ type: 'logs', data: { logs: [{ message }] } }));
        await sleep(10);
      }
      await sleep(200);
      return [...latencies].sort((a, b) => a - b);
    }
    const idle = await measure(3000);
    const noisy = fork(__filename, ['--role', 'noisy', server.wsUrl, '6000'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let onStarted, onReport;
    const started = new Promise((r) => { onStarted = r; });
    const report = new Promise((r) => { onReport = r; });
    noisy.on('message', (m) => (m === 'started' ? onStarted() : onReport(m)));
    await withTimeout(started, 10000, 'noisy producer start');
    const loaded = await measure(5000);
    const flood = await withTimeout(report, 20000, 'noisy producer');
    noisy.kill();
    const measured = flood.accepted / flood.seconds;
    record('rate', 'noisy app: entries offered / accepted / refused',
      `${flood.offered} / ${flood.accepted} / ${flood.refused} in ${flood.seconds.toFixed(2)} s`);
    record('rate', `noisy app accepted rate (limit ${RATE}/s, within 10%)`, `${measured.toFixed(0)}/s`,
      Math.abs(measured - RATE) <= 0.1 * RATE);
    const fmt = (a) => `p50 ${percentile(a, 50).toFixed(2)} ms, p99 ${percentile(a, 99).toFixed(2)} ms (n=${a.length})`;
    record('rate', 'quiet app latency, idle', fmt(idle));
    record('rate', 'quiet app latency, noisy app flooding', fmt(loaded));
    record('rate', 'quiet p50 under flood <= 2x idle p50',
      `${(percentile(loaded, 50) / percentile(idle, 50)).toFixed(2)}x`, percentile(loaded, 50) <= 2 * percentile(idle, 50));
    record('rate', 'quiet p99 under flood <= 2x idle p99',
      `${(percentile(loaded, 99) / percentile(idle, 99)).toFixed(2)}x`, percentile(loaded, 99) <= 2 * percentile(idle, 99));
    const text = await metricsText(server);
    record('rate', 'smartlog_entries_rate_limited_total{app="noisy"}',
      metricValue(text, 'smartlog_entries_rate_limited_total{app="noisy"}'));
    viewer.terminate();
    producer.terminate();
  } finally {
    await server.stop();
  }
}

// The noisy producer (a child process, so that its loop does not disturb the measurement):
// keeps 64 messages of 100 entries in flight for `ms`, counting what was accepted after the
// first second (the burst is spent by then).
async function noisyRole(url, ms) {
  const { ws } = await openAuthed(url, { userId: 'noisy', appId: 'noisy', mode: 'producer' });
  const batch = JSON.stringify({ type: 'logs', data: { logs: Array.from({ length: 100 }, (_, i) => ({ message: `noise ${i}` })) } });
  let inFlight = 0;
  let offered = 0, accepted = 0, refused = 0;
  const start = Date.now();
  const warm = start + 1000;
  let measuring = false;
  let measureStart = 0;
  const end = start + Number(ms);
  process.send('started');
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
  process.send({ offered, accepted, refused, seconds: (Date.now() - measureStart) / 1000 });
  ws.terminate();
}

// 10,000 authenticated idle connections: the server's RSS.
async function phaseIdle() {
  const N = 10000;
  console.log(`\n[idle] ${N.toLocaleString('en')} authenticated idle connections`);
  const server = await startServer({ args: ['--durability', 'memory', '--max-connections', String(N + 100)] });
  try {
    const before = procStatus(server.proc.pid).rss;
    const started = Date.now();
    const conns = await withTimeout(openMany(server.wsUrl, N, 200, (i) => ({
      userId: `idle${i}`, appId: `app${i % 100}`, localAddress: SOURCES[i % SOURCES.length],
    })), 120000, 'opening the idle connections');
    const ok = conns.filter((c) => c.status === 'ok').length;
    record('idle', 'authenticated connections held', `${ok}/${N} in ${Date.now() - started} ms`, ok === N);
    await sleep(1000);
    const after = procStatus(server.proc.pid);
    record('idle', 'server RSS before / with them', `${mib(before)} / ${mib(after.rss)}`, after.rss < 200 * (1 << 20));
    record('idle', 'server RSS per connection', `${((after.rss - before) / N / 1024).toFixed(1)} KiB`);
    record('idle', 'load generator (node) RSS', mib(process.memoryUsage().rss));
    const sample = conns.filter((_, i) => i % 100 === 0);
    const pongs = (await Promise.all(sample.map((c) => ping(c.ws)))).filter(Boolean).length;
    record('idle', 'a sample of 100 still answers ping', `${pongs}/${sample.length}`, pongs === sample.length);
    closeAll(conns);
  } finally {
    await server.stop();
  }
}

// 100 viewers that never read while a producer floods their app: the server's memory.
async function phaseStalled() {
  const VIEWERS = 100;
  const MESSAGES = 600;
  const PER_MESSAGE = 500;
  console.log(`\n[stalled] ${VIEWERS} viewers that never read; a producer sends ${(MESSAGES * PER_MESSAGE).toLocaleString('en')} entries`);
  const server = await startServer({ args: ['--durability', 'memory', '--idle-timeout', '60s'] });
  try {
    const viewers = await openMany(server.wsUrl, VIEWERS, 50, (i) => ({ userId: `s${i}`, appId: 'flood' }));
    // Stop reading: the kernel buffers fill, then the server's queues.
    for (const v of viewers) v.ws._socket.pause();
    const reader = (await openAuthed(server.wsUrl, { userId: 'r', appId: 'flood' })).ws;
    // A reader in this busy process may itself fall behind and be told so with `dropped`:
    // what it got plus what it was told it missed must be everything.
    let readerEntries = 0;
    let readerMissed = 0;
    reader.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'logs' && !msg.history) readerEntries += msg.payload.length;
      if (msg.type === 'dropped') readerMissed += msg.payload.count;
    });
    const base = procStatus(server.proc.pid).rss;
    let peak = base;
    const sampler = setInterval(() => { peak = Math.max(peak, procStatus(server.proc.pid).rss); }, 20);
    const producer = (await openAuthed(server.wsUrl, { userId: 'p', appId: 'flood', mode: 'producer' })).ws;
    const pad = 'x'.repeat(150);
    const batch = JSON.stringify({ type: 'logs', data: { logs: Array.from({ length: PER_MESSAGE }, (_, i) => ({ message: `flood ${i} ${pad}` })) } });
    const started = Date.now();
    let acked = 0;
    await withTimeout(new Promise((resolve) => {
      let sent = 0, inFlight = 0;
      const pump = () => {
        while (inFlight < 16 && sent < MESSAGES) {
          producer.send(batch);
          ++sent;
          ++inFlight;
        }
        if (acked === MESSAGES) resolve();
      };
      producer.on('message', (data) => {
        if (JSON.parse(data.toString()).type === 'logs_ack') {
          ++acked;
          --inFlight;
          pump();
        }
      });
      pump();
    }), 60000, 'the flood');
    const seconds = (Date.now() - started) / 1000;
    await sleep(1000);
    clearInterval(sampler);
    peak = Math.max(peak, procStatus(server.proc.pid).rss);
    const text = await metricsText(server);
    const maxOutbound = 8 << 20;
    record('stalled', 'flood', `${(MESSAGES * PER_MESSAGE).toLocaleString('en')} entries (${mib(MESSAGES * batch.length)}) in ${seconds.toFixed(2)} s`);
    record('stalled', 'server RSS before flood / peak / growth', `${mib(base)} / ${mib(peak)} / ${mib(peak - base)}`);
    record('stalled', 'bound: viewers x max_outbound_bytes (8 MiB)', mib(VIEWERS * maxOutbound), peak - base <= VIEWERS * maxOutbound);
    record('stalled', 'smartlog_outbound_queue_bytes (sum, shared frames counted per viewer)',
      mib(metricValue(text, 'smartlog_outbound_queue_bytes')));
    record('stalled', 'smartlog_outbound_queue_max_bytes', mib(metricValue(text, 'smartlog_outbound_queue_max_bytes')),
      metricValue(text, 'smartlog_outbound_queue_max_bytes') <= maxOutbound + (1 << 20));
    record('stalled', 'smartlog_live_entries_dropped_total', metricValue(text, 'smartlog_live_entries_dropped_total'));
    record('stalled', 'the reading viewer: received + told missed (dropped)',
      `${readerEntries.toLocaleString('en')} + ${readerMissed.toLocaleString('en')}`,
      readerEntries + readerMissed === MESSAGES * PER_MESSAGE);
    closeAll(viewers);
    reader.terminate();
    producer.terminate();
  } finally {
    await server.stop();
  }
}

// ---- main ----------------------------------------------------------------------------------

const PHASES = { connections: phaseConnections, slowloris: phaseSlowloris, rate: phaseRate, idle: phaseIdle, stalled: phaseStalled };

async function main() {
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : Object.keys(PHASES);
  console.log(`smartlogd: ${process.env.SMARTLOG_BIN}`);
  for (const name of only) {
    if (!PHASES[name]) throw new Error(`unknown phase ${name}`);
    try {
      await PHASES[name]();
    } catch (e) {
      record(name, 'phase did not complete', e.message, false);
    }
  }
  const failed = results.filter((r) => r.pass === false);
  console.log(`\n${results.filter((r) => r.pass).length} passed, ${failed.length} failed`);
  for (const f of failed) console.log(`  FAIL ${f.phase}: ${f.figure}: ${f.value}`);
  process.exit(failed.length ? 1 : 0);
}

if (process.argv[2] === '--role') {
  noisyRole(process.argv[4], process.argv[5]).then(() => process.exit(0));
} else {
  // The whole run is bounded, whatever hangs.
  setTimeout(() => { console.error('stress: over 10 minutes, giving up'); process.exit(2); }, 600000).unref();
  main();
}
