// Shared helpers of the stress suite (tests/stress/stress.js): servers that are always stopped,
// a memory cap on every server, child processes for load that must not disturb a measurement,
// authenticated WebSockets, and the figures' formatting.
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { fork, execFileSync } = require('node:child_process');
const WebSocket = require('ws');

process.env.SMARTLOG_BIN = process.env.SMARTLOG_BIN ||
  path.resolve(__dirname, '../../build/release/app/smartlogd');
const support = require('../support/server');

const SOURCES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];

// No server may take more than this much real memory: the machine is shared. A server that
// passes it is killed at once and the probe is told (`server.capped`).
const RSS_CAP = Number(process.env.STRESS_RSS_CAP || 3 * 1024 ** 3);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes) => `${(bytes / (1 << 20)).toFixed(1)} MiB`;
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const fmtInt = (n) => Number(n).toLocaleString('en');

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: over ${ms} ms`)), ms); }),
  ]);
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// VmRSS and VmHWM (peak since start) of a process, in bytes; zeros once it is gone.
function procStatus(pid) {
  let text = '';
  try { text = fs.readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return { rss: 0, hwm: 0 }; }
  const kb = (key) => Number((text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm')) || [0, 0])[1]);
  return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
}

// CPU seconds (user + system) a process has used.
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;  // utime, stime in clock ticks (USER_HZ 100)
  } catch { return NaN; }
}

// ---- servers and children that the runner can always clean up ------------------------------

const live = { servers: new Set(), children: new Set(), dirs: new Set() };

// smartlogd (tests/support/server.js) with a watchdog: samples RSS every 50 ms, keeps the peak,
// kills the server past RSS_CAP. stop() is bounded: SIGTERM, then SIGKILL after `graceMs`.
async function startServer(options = {}) {
  const server = await support.startServer(options);
  live.servers.add(server);
  live.dirs.add(server.dir);
  server.capped = false;
  server.peakRss = 0;
  const watchdog = setInterval(() => {
    const { rss } = procStatus(server.proc.pid);
    server.peakRss = Math.max(server.peakRss, rss);
    if (rss > RSS_CAP && !server.capped) {
      server.capped = true;
      console.log(`  (server RSS ${mib(rss)} passed the suite's cap of ${mib(RSS_CAP)}: killed)`);
      server.proc.kill('SIGKILL');
    }
  }, 50);
  watchdog.unref();
  const stop = server.stop.bind(server);
  server.alive = () => server.proc.exitCode === null && server.proc.signalCode === null;
  server.stop = async (signal = 'SIGTERM', graceMs = 20000) => {
    clearInterval(watchdog);
    live.servers.delete(server);
    let result;
    try {
      result = await withTimeout(stop(signal), graceMs, 'server stop');
    } catch {
      server.proc.kill('SIGKILL');
      result = { ...(await server.exited), killedAfterGrace: true };
    }
    return result;
  };
  server.rss = () => procStatus(server.proc.pid).rss;
  server.hwm = () => procStatus(server.proc.pid).hwm;
  return server;
}

// A child process running one of tests/stress/roles.js; messages come back over IPC.
function startRole(role, args) {
  const child = fork(path.join(__dirname, 'roles.js'), [role, JSON.stringify(args)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.children.add(child);
  child.on('exit', () => live.children.delete(child));
  child.on('error', () => {});  // a send to a child that is gone: its answer times out instead
  const inbox = [];
  const waiters = [];
  child.on('message', (m) => {
    const i = waiters.findIndex((w) => w.test(m));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
    else inbox.push(m);
  });
  child.next = (test = () => true, ms = 30000, what = `${role} answer`) => {
    const i = inbox.findIndex(test);
    if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]);
    return withTimeout(new Promise((resolve) => waiters.push({ test, resolve })), ms, what);
  };
  child.stop = () => { if (child.exitCode === null) child.kill('SIGKILL'); };
  return child;
}

// Kills whatever a probe left behind (it failed or ran out of time).
function killAll() {
  for (const s of live.servers) { s.proc.kill('SIGKILL'); }
  live.servers.clear();
  for (const c of live.children) c.kill('SIGKILL');
  live.children.clear();
}

// After a probe: its servers' temporary directories (databases of up to a few hundred MB).
function removeDirs() {
  for (const dir of live.dirs) fs.rmSync(dir, { recursive: true, force: true });
  live.dirs.clear();
}

// The stall meter: a healthy viewer of its own app, in a child process, that sends `ping` every
// 10 ms (one at a time) and records each round trip. Its longest round trip is the longest
// time the server's network thread left it waiting.
async function startMeter(server, auth = { userId: 'meter', appId: 'meter-app' }) {
  const child = startRole('meter', { url: server.wsUrl, auth });
  await child.next((m) => m.started, 10000, 'stall meter start');
  return {
    async stop() {
      if (child.connected) child.send('stop');
      try {
        return await child.next((m) => m.report, 10000, 'stall meter report');
      } catch (e) {
        return { max: NaN, p50: NaN, p99: NaN, n: 0, error: e.message };
      } finally {
        child.stop();
      }
    },
  };
}

const fmtStall = (m) => (m.error ? m.error
  : `max ${m.max.toFixed(0)} ms (p50 ${m.p50.toFixed(1)}, p99 ${m.p99.toFixed(1)}, n=${m.n}${m.closed ? ', its connection closed' : ''})`);

// The longest stall a healthy client may see: SPEC 3.3's "a few milliseconds" per message,
// with room for a busy 2-core machine shared with the load generator.
const STALL_BOUND_MS = 100;

// ---- WebSockets -------------------------------------------------------------------------------

// A WebSocket that authenticates; resolves {ws, status} where status is 'ok' or the HTTP status
// of a refused upgrade, or what else happened.
function openAuthed(url, { userId, appId, mode = 'viewer', token, localAddress, perMessageDeflate = false, timeoutMs = 15000 } = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate });
    let settled = false;
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    function done(status) {
      if (!settled) { settled = true; clearTimeout(timer); resolve({ ws, status }); }
    }
    ws.on('unexpected-response', (req, res) => {
      res.resume();
      done(res.statusCode);
      req.destroy();
    });
    ws.on('error', (e) => done(`error: ${e.code || e.message}`));
    ws.on('close', (code) => done(`closed ${code}`));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', data: { userId, appId, mode, token } })));
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

// openAuthed, or an error naming what happened instead.
async function openOk(url, options) {
  const c = await openAuthed(url, options);
  if (c.status !== 'ok') {
    c.ws.terminate();
    throw new Error(`${options.userId}@${options.appId}: ${c.status}`);
  }
  return c;
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

// Resolves with the first message `test` accepts (parsed), or {timeout: true} after `ms`, or
// {closed: code} when the connection closes first.
function nextMessage(ws, test, ms = 30000) {
  return new Promise((resolve) => {
    const done = (v) => { clearTimeout(timer); ws.off('message', on); ws.off('close', onClose); resolve(v); };
    const timer = setTimeout(() => done({ timeout: true }), ms);
    function on(data) {
      const msg = JSON.parse(data.toString());
      if (test(msg)) done(msg);
    }
    function onClose(code, reason) { done({ closed: code, reason: reason.toString() }); }
    ws.on('message', on);
    ws.on('close', onClose);
  });
}

// Sends `messages` (strings) on a producer and resolves once each has its logs_ack.
function sendAcked(ws, messages, inFlight = 16) {
  return new Promise((resolve, reject) => {
    let sent = 0, acked = 0, accepted = 0;
    const pump = () => {
      while (sent - acked < inFlight && sent < messages.length) ws.send(messages[sent++]);
      if (acked === messages.length) { ws.off('message', on); resolve(accepted); }
    };
    function on(data) {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'logs_ack') { ++acked; accepted += msg.payload.accepted; pump(); }
      else if (msg.type === 'error') { ws.off('message', on); reject(new Error(`${msg.payload.code}: ${msg.payload.message}`)); }
    }
    ws.on('message', on);
    pump();
  });
}

// A WebSocket upgrade by hand, for what the `ws` library would refuse to send. Resolves with
// {socket, status, rest}: the HTTP status of the answer and the bytes after its headers.
// `key` null leaves the Sec-WebSocket-Key header out; '' sends it empty.
function rawUpgrade(port, { key = 'dGhlIHNhbXBsZSBub25jZQ==', localAddress, timeoutMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    function finish(status, rest = Buffer.alloc(0)) {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      resolve({ socket, status, rest });
    }
    socket.on('error', () => finish('error'));
    socket.on('close', () => finish('closed'));
    socket.on('connect', () => {
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
        + `${key === null ? '' : `Sec-WebSocket-Key: ${key}\r\n`}Sec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = Number(buf.subarray(0, end).toString().split(' ')[1]);
      finish(status, buf.subarray(end + 4));
    });
  });
}

// A masked client text frame (mask key 0, so the payload goes as is).
function clientFrame(text) {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error('clientFrame: short frames only');
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

// Writes `chunk` again and again until `end` (a time), as fast as the socket drains; resolves
// with the bytes written and how the socket ended (or 'still open').
function writeUntil(socket, chunk, end) {
  return new Promise((resolve) => {
    let written = 0, error = null;
    socket.on('error', (e) => { error = e.code || e.message; });
    socket.on('close', () => resolve({ written, error: error || 'closed' }));
    const pump = () => {
      while (Date.now() < end && !socket.destroyed) {
        written += chunk.length;
        if (!socket.write(chunk)) return socket.once('drain', pump);
      }
      resolve({ written, error });
    };
    // A drain that never comes (the server stopped reading) must not outlive the probe.
    setTimeout(() => resolve({ written, error: error || 'still open' }), end - Date.now() + 100);
    pump();
  });
}

// ---- HTTP --------------------------------------------------------------------------------------

async function timedFetch(url, options = {}, timeoutMs = 30000) {
  const t0 = performance.now();
  const res = await fetch(url, { ...options, signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - t0, headers: res.headers };
}

async function metricsText(server) {
  return (await timedFetch(`${server.url}metrics`)).body;
}

function metricValue(text, name) {
  const m = text.match(new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} ([0-9.e+]+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
}

// Rows in the entries table of a stopped or running server's database (read-only, WAL-safe).
function rowsOnDisk(dataDir, where = '') {
  const out = execFileSync('sqlite3', ['-readonly', path.join(dataDir, 'smartlog.db'),
    `SELECT count(*) FROM entries ${where};`], { encoding: 'utf8', timeout: 60000 });
  return Number(out.trim());
}

module.exports = {
  SOURCES, RSS_CAP, STALL_BOUND_MS, sleep, mib, kib, fmtInt, withTimeout, percentile, procStatus, cpuSeconds,
  startServer, startRole, killAll, removeDirs, startMeter, fmtStall, openAuthed, openOk, ping, openMany, closeAll, sendAcked, nextMessage, rawUpgrade, clientFrame, writeUntil,
  timedFetch, metricsText, metricValue, rowsOnDisk,
};
