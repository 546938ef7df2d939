// Row 4: one `filter` message with 100,000 distinct `level` values (under max_frame_bytes).
// SPEC 3.3: one message never holds the network thread for more than a few milliseconds.
'use strict';
const { startServer, startMeter, fmtStall, openOk, nextMessage, kib, STALL_BOUND_MS } = require('../lib');

const LEVELS = 100000;

async function run(t) {
  const server = await startServer({ args: ['--durability', 'memory'] });
  try {
    const meter = await startMeter(server);
    const viewer = await openOk(server.wsUrl, { userId: 'f', appId: 'filter-app' });
    const frame = JSON.stringify({ type: 'filter', filters: { level: Array.from({ length: LEVELS }, (_, i) => `l${i.toString(36)}`) } });
    const t0 = performance.now();
    viewer.ws.send(frame);
    const answer = await nextMessage(viewer.ws, (m) => m.type === 'filter_applied' || m.type === 'error', 60000);
    const ms = performance.now() - t0;
    const stall = await meter.stop();
    const what = answer.timeout ? 'no answer in 60 s' : answer.closed ? `closed ${answer.closed}` : answer.type === 'error' ? `error/${answer.payload.code}` : 'filter_applied';
    t.record(`filter of ${LEVELS.toLocaleString('en')} levels (${kib(frame.length)}): answer, time`, `${what}, ${ms.toFixed(0)} ms`);
    t.record(`longest stall seen by another app's client (<= ${STALL_BOUND_MS} ms)`, fmtStall(stall), stall.max <= STALL_BOUND_MS);
    t.headline(`${what} after ${ms.toFixed(0)} ms; other app stalled ${Number.isFinite(stall.max) ? stall.max.toFixed(0) : '?'} ms`);
    viewer.ws.terminate();
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 4, name: 'filter-levels', title: `one filter with ${LEVELS.toLocaleString('en')} distinct levels`,
  bound: `other app's stall <= ${STALL_BOUND_MS} ms`, budgetMs: 90000, run,
};
