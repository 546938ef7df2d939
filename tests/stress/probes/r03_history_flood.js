// Row 3: viewers send `request_history` in a loop and never read, over an app whose history
// holds large entries. SPEC 3.3: a connection never holds more than its max_outbound_bytes
// (plus, once answers leave in pages, one page): growth <= viewers x 2 x max_outbound_bytes.
'use strict';
const { SOURCES, startServer, startMeter, fmtStall, openOk, openMany, closeAll, sendAcked, sleep, mib, STALL_BOUND_MS } = require('../lib');

const VIEWERS = 50;
const REQUESTS = 20;
const ENTRIES = 200;
const ENTRY_BYTES = 60000;
const MAX_OUTBOUND = 1 << 20;
const SLACK = 32 << 20;

async function run(t) {
  const server = await startServer({
    args: ['--durability', 'memory', '--history-limit', String(ENTRIES), '--max-outbound-bytes', String(MAX_OUTBOUND), '--idle-timeout', '60s'],
  });
  try {
    const producer = await openOk(server.wsUrl, { userId: 'p', appId: 'big-history', mode: 'producer' });
    const message = 'h'.repeat(ENTRY_BYTES);
    const batches = Array.from({ length: ENTRIES / 10 }, () => JSON.stringify({ type: 'logs', data: { logs: Array.from({ length: 10 }, () => ({ message })) } }));
    await sendAcked(producer.ws, batches, 4);
    producer.ws.terminate();
    const meter = await startMeter(server);
    const viewers = await openMany(server.wsUrl, VIEWERS, 25, (i) => ({
      userId: `v${i}`, appId: 'big-history', localAddress: SOURCES[i % SOURCES.length],
    })).then((all) => all.filter((c) => c.status === 'ok'));
    const base = server.rss();
    const request = JSON.stringify({ type: 'request_history' });
    for (const v of viewers) {
      v.ws._socket.pause();
      for (let i = 0; i < REQUESTS; ++i) v.ws.send(request);
    }
    await sleep(6000);
    const stall = await meter.stop();
    const peak = Math.max(server.peakRss, server.hwm());
    const n = Math.max(1, viewers.length);
    const bound = n * 2 * MAX_OUTBOUND + SLACK;
    t.record('viewers connected', `${viewers.length}/${VIEWERS}`);
    t.record('history answer size', `${ENTRIES} entries x ${ENTRY_BYTES / 1000} KB = ${mib(ENTRIES * ENTRY_BYTES)}`);
    t.record(`${n} viewers x ${REQUESTS} request_history, not reading: RSS before / peak / growth`,
      `${mib(base)} / ${mib(peak)} / ${mib(peak - base)}${server.capped ? ' (capped: killed)' : ''}`);
    t.record(`growth <= viewers x 2 x max_outbound_bytes (${mib(MAX_OUTBOUND)}) + ${mib(SLACK)}`, mib(bound), !server.capped && peak - base <= bound);
    t.record('growth per viewer', mib((peak - base) / n));
    t.record(`longest stall seen by another app's client (<= ${STALL_BOUND_MS} ms)`, fmtStall(stall), stall.max <= STALL_BOUND_MS);
    t.headline(`peak growth ${mib(peak - base)} = ${mib((peak - base) / n)}/viewer (bound ${mib(bound)}); stall ${Number.isFinite(stall.max) ? stall.max.toFixed(0) : '?'} ms`);
    closeAll(viewers);
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 3, name: 'history-flood', title: `${VIEWERS} viewers repeating request_history without reading (${ENTRIES} x 60 KB history, max_outbound_bytes 1 MiB)`,
  bound: 'RSS growth <= viewers x 2 x max_outbound_bytes + 32 MiB (bound + one page)', budgetMs: 90000, run,
};
