// Row 14: `--ws-deflate true`. (a) Memory per idle authenticated connection that negotiated
// permessage-deflate, against the same without it. (b) One client sending pings padded to
// 1 MB that compress to ~1 KB each: the inflation work one wire byte buys, the server's CPU,
// and whether another app's client stalls. The issue: deflate memory per connection bounded
// (window bits, no context takeover), inflated bytes counted against the connection's limits,
// control messages rate-limited. Bounds here: <= 32 KiB per idle deflate connection (plain:
// ~8 KiB); other app's stall <= 100 ms; the bomb sender throttled before all its pings are served.
'use strict';
const WebSocket = require('ws');
const { startServer, startMeter, fmtStall, openMany, closeAll, openAuthed, sleep, kib, mib, cpuSeconds, SOURCES, STALL_BOUND_MS, fmtInt } = require('../lib');

const IDLE = 1000;
const BOMBS = 200;
const INFLATED = 1000000;
const PER_CONN_BOUND = 32 * 1024;

async function idlePerConnection(deflate) {
  const server = await startServer({ args: ['--durability', 'memory', '--ws-deflate', String(deflate)] });
  try {
    await sleep(300);
    const before = server.rss();
    const conns = await openMany(server.wsUrl, IDLE, 50, (i) => ({
      userId: `i${i}`, appId: `idle${i % 10}`, perMessageDeflate: deflate, localAddress: SOURCES[i % SOURCES.length],
    }));
    await sleep(1000);
    const after = server.rss();
    const ok = conns.filter((c) => c.status === 'ok');
    const negotiated = ok.filter((c) => c.ws.extensions.includes('permessage-deflate')).length;
    closeAll(conns);
    return { perConn: (after - before) / Math.max(1, ok.length), ok: ok.length, negotiated };
  } finally {
    await server.stop('SIGKILL');
  }
}

async function run(t) {
  const plain = await idlePerConnection(false);
  const deflate = await idlePerConnection(true);
  t.record(`${IDLE} idle connections, plain: RSS per connection`, `${kib(plain.perConn)} (${plain.ok} authenticated)`);
  t.record(`${IDLE} idle connections, deflate: RSS per connection (<= ${kib(PER_CONN_BOUND)})`,
    `${kib(deflate.perConn)} (${deflate.ok} authenticated, ${deflate.negotiated} negotiated deflate)`,
    deflate.negotiated > 0 && deflate.perConn <= PER_CONN_BOUND);

  const server = await startServer({ args: ['--durability', 'memory', '--ws-deflate', 'true'] });
  try {
    const meter = await startMeter(server);
    const bomber = await openAuthed(server.wsUrl, { userId: 'b', appId: 'bomb-app', perMessageDeflate: true });
    if (bomber.status !== 'ok') throw new Error(`bomber: ${bomber.status}`);
    const ws = bomber.ws;
    const counts = {};
    let closed = null;
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      const key = msg.type === 'error' ? `error/${msg.payload.code}` : msg.type;
      counts[key] = (counts[key] || 0) + 1;
    });
    ws.on('close', (code, reason) => { closed = `${code} ${reason}`; });
    const bomb = JSON.stringify({ type: 'ping', pad: 'a'.repeat(INFLATED) });
    const wireBefore = ws._socket.bytesWritten;
    const cpuBefore = cpuSeconds(server.proc.pid);
    const t0 = Date.now();
    for (let i = 0; i < BOMBS && ws.readyState === WebSocket.OPEN; ++i) ws.send(bomb, { compress: true });
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline && !closed && (counts.pong || 0) + (counts['error/rate_limited'] || 0) < BOMBS) await sleep(50);
    await sleep(300);
    const wire = ws._socket.bytesWritten - wireBefore;
    const cpu = cpuSeconds(server.proc.pid) - cpuBefore;
    const stall = await meter.stop();
    const served = counts.pong || 0;
    t.record(`${BOMBS} pings padded to ${fmtInt(INFLATED)} B: bytes on the wire`, `${fmtInt(wire)} (${fmtInt(Math.round(wire / BOMBS))} per message)`);
    t.record('inflated bytes the server parsed (pongs x message) / wire bytes', `${mib(served * bomb.length)}: ${(served * bomb.length / Math.max(1, wire)).toFixed(0)}x`);
    t.record('server CPU for them', `${(cpu * 1000).toFixed(0)} ms in ${((Date.now() - t0) / 1000).toFixed(1)} s (${(cpu * 1e6 / Math.max(1, wire / 1024)).toFixed(0)} us per wire KiB)`);
    t.record('answers to the bomb sender', `${JSON.stringify(counts)}; closed: ${closed ?? 'no'}`);
    t.record(`bomb sender throttled before its ${BOMBS} pings were all served`, `${served}/${BOMBS} served`, served < BOMBS);
    t.record(`longest stall of another app's client (<= ${STALL_BOUND_MS} ms)`, fmtStall(stall), stall.max <= STALL_BOUND_MS);
    t.headline(`idle ${kib(deflate.perConn)}/conn (plain ${kib(plain.perConn)}); ${(served * bomb.length / Math.max(1, wire)).toFixed(0)}x inflation, ${served}/${BOMBS} bombs served; stall ${Number.isFinite(stall.max) ? stall.max.toFixed(0) : '?'} ms`);
    ws.terminate();
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 14, name: 'deflate', title: `--ws-deflate true: ${IDLE} idle connections; ${BOMBS} 1 MB pings compressed to ~1 KB`,
  bound: `<= 32 KiB per idle deflate connection; bomb sender throttled; other app's stall <= ${STALL_BOUND_MS} ms`, budgetMs: 120000, run,
};
