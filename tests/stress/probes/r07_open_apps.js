// Row 7: open mode, a client inventing app ids (re-authenticating for a new one each time,
// reconnecting if it is cut off). The bound: a cap on apps, no per-app memory before the
// app is used, idle apps freed, so the server's memory stays bounded whatever ids a client
// invents; and /metrics over those apps must not hold the network thread.
'use strict';
const WebSocket = require('ws');
const { startServer, startMeter, fmtStall, timedFetch, mib, kib, fmtInt, STALL_BOUND_MS } = require('../lib');

const INVENT_MS = 6000;
const GROWTH_BOUND = 64 << 20;

// Authenticates for app `${prefix}N`, N = 0, 1, ... one after the other on one connection;
// reconnects (at most 200 times) when the server closes it. Resolves with what happened.
function invent(url, prefix, maxApps, ms) {
  return new Promise((resolve) => {
    let apps = 0, reconnects = 0, limited = 0, ws = null, done = false;
    const closes = {};
    const end = Date.now() + ms;
    const finish = () => {
      if (done) return;
      done = true;
      if (ws) ws.terminate();
      resolve({ apps, reconnects, limited, closes });
    };
    const next = () => {
      if (apps >= maxApps || Date.now() >= end) return finish();
      ws.send(JSON.stringify({ type: 'auth', data: { userId: 'inventor', appId: `${prefix}${apps}` } }));
    };
    const connect = () => {
      ws = new WebSocket(url, { perMessageDeflate: false });
      ws.on('open', next);
      ws.on('message', (data) => {
        const msg = JSON.parse(data.toString());
        if (msg.type === 'auth_success') { ++apps; next(); }
        else if (msg.type === 'error' && msg.payload.code === 'rate_limited') { ++limited; setTimeout(next, 50); }
        else if (msg.type === 'auth_error') setTimeout(next, 50);
      });
      ws.on('error', () => {});
      ws.on('close', (code) => {
        if (done) return;
        closes[code] = (closes[code] || 0) + 1;
        if (++reconnects > 200 || Date.now() >= end) return finish();
        setTimeout(connect, 50);
      });
    };
    connect();
    setTimeout(finish, ms + 5000);
  });
}

async function subRun(t, label, args, maxApps) {
  const server = await startServer({ args: ['--durability', 'memory', ...args] });
  try {
    const meter = await startMeter(server);
    const base = server.rss();
    const t0 = Date.now();
    const r = await invent(server.wsUrl, 'invented-', maxApps, INVENT_MS);
    const seconds = (Date.now() - t0) / 1000;
    const after = server.rss();
    const peak = Math.max(server.peakRss, server.hwm());
    const m = await timedFetch(`${server.url}metrics`, {}, 60000).catch((e) => ({ status: e.message, ms: NaN, body: '' }));
    const stall = await meter.stop();
    const growth = Math.max(after, peak) - base;
    t.record(`${label}: apps invented in ${seconds.toFixed(1)} s`,
      `${fmtInt(r.apps)} (${fmtInt(Math.round(r.apps / seconds))}/s), reconnects ${r.reconnects}, rate_limited ${r.limited}, closes ${JSON.stringify(r.closes)}`);
    t.record(`${label}: RSS before / after / growth, per app`,
      `${mib(base)} / ${mib(after)} / ${mib(growth)}, ${r.apps ? kib(growth / r.apps) : '-'}${server.capped ? ' (capped: killed)' : ''}`);
    t.record(`${label}: growth <= ${mib(GROWTH_BOUND)}`, mib(growth), !server.capped && growth <= GROWTH_BOUND);
    t.record(`${label}: anonymous GET /metrics: status, time (<= ${STALL_BOUND_MS} ms)`, `${m.status}, ${m.ms.toFixed(0)} ms, ${mib(m.body.length)}`, m.ms <= STALL_BOUND_MS);
    t.record(`${label}: longest stall of another app's client (<= ${STALL_BOUND_MS} ms)`, fmtStall(stall), stall.max <= STALL_BOUND_MS);
    return { apps: r.apps, growth, metricsMs: m.ms };
  } finally {
    await server.stop('SIGKILL');
  }
}

async function run(t) {
  const a = await subRun(t, 'defaults', [], 40000);
  const b = await subRun(t, 'history_limit 100000', ['--history-limit', '100000'], 300);
  t.headline(`${fmtInt(a.apps)} apps: +${mib(a.growth)} (${kib(a.growth / Math.max(1, a.apps))}/app), /metrics ${a.metricsMs.toFixed(0)} ms; `
    + `history_limit 100000: ${kib(b.growth / Math.max(1, b.apps))}/app`);
}

module.exports = {
  row: 7, name: 'open-apps', title: `open mode, one client inventing app ids for ${INVENT_MS / 1000} s (defaults; then history_limit 100000, 300 apps)`,
  bound: `RSS growth <= 64 MiB; /metrics and other app's stall <= ${STALL_BOUND_MS} ms`, budgetMs: 120000, run,
};
