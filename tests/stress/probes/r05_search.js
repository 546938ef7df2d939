// Row 5: a `search` of 1,023 'a' then 'b' (1 KiB, the longest accepted) over kept 60 KB
// messages of 'a', through request_history and through HTTP `?q=` (memory mode reads memory).
// SPEC 3.3: one message never holds the network thread for more than a few milliseconds.
'use strict';
const { startServer, startMeter, fmtStall, openOk, nextMessage, sendAcked, timedFetch, STALL_BOUND_MS } = require('../lib');

const ENTRIES = 60;
const ENTRY_BYTES = 60000;

async function run(t) {
  const server = await startServer({ args: ['--durability', 'memory'] });
  try {
    const producer = await openOk(server.wsUrl, { userId: 'p', appId: 'search-app', mode: 'producer' });
    const message = 'a'.repeat(ENTRY_BYTES);
    await sendAcked(producer.ws, Array.from({ length: ENTRIES / 10 }, () => JSON.stringify({ type: 'logs', data: { logs: Array.from({ length: 10 }, () => ({ message })) } })), 4);
    producer.ws.terminate();
    const search = `${'a'.repeat(1023)}b`;

    let meter = await startMeter(server);
    const viewer = await openOk(server.wsUrl, { userId: 'v', appId: 'search-app' });
    viewer.ws.send(JSON.stringify({ type: 'filter', filters: { search } }));
    const applied = await nextMessage(viewer.ws, (m) => m.type === 'filter_applied' || m.type === 'error', 30000);
    const t0 = performance.now();
    viewer.ws.send(JSON.stringify({ type: 'request_history' }));
    const answer = await nextMessage(viewer.ws, (m) => (m.type === 'logs' && m.history) || m.type === 'error', 60000);
    const wsMs = performance.now() - t0;
    let stall = await meter.stop();
    const what = (a) => (a.timeout ? 'no answer' : a.closed ? `closed ${a.closed}` : a.type === 'error' ? `error/${a.payload.code}` : `${a.payload.length} entries`);
    t.record(`filter search = 1,023 'a' + 'b': answer`, applied.type || what(applied));
    t.record(`request_history over ${ENTRIES} x 60 KB: answer, time`, `${what(answer)}, ${wsMs.toFixed(0)} ms`);
    t.record(`  longest stall of another app's client (<= ${STALL_BOUND_MS} ms)`, fmtStall(stall), stall.max <= STALL_BOUND_MS);
    const wsStall = stall.max;

    meter = await startMeter(server);
    const http = await timedFetch(`${server.url}api/v1/logs?app=search-app&q=${search}`, { headers: { 'X-Smartlog-App': 'search-app' } }, 60000)
      .catch((e) => ({ status: e.message, ms: NaN }));
    stall = await meter.stop();
    t.record('HTTP GET ?q= (memory mode): status, time', `${http.status}, ${http.ms.toFixed(0)} ms`);
    t.record(`  longest stall of another app's client (<= ${STALL_BOUND_MS} ms)`, fmtStall(stall), stall.max <= STALL_BOUND_MS);
    t.headline(`stall ${wsStall.toFixed(0)} ms (request_history), ${stall.max.toFixed(0)} ms (HTTP ?q=)`);
    viewer.ws.terminate();
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 5, name: 'search', title: `search 1,023 'a' + 'b' over ${ENTRIES} kept 60 KB messages of 'a'`,
  bound: `other app's stall <= ${STALL_BOUND_MS} ms`, budgetMs: 150000, run,
};
