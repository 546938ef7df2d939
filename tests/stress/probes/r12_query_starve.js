// Row 12: four readers repeating a 2-character `q` (which matches nothing, so each query scans
// the app's rows) over a large stored app, while another tenant runs plain queries. The issue:
// queries cannot starve each other (reads beside the writer, a time budget per query, short
// `q` strings that cannot become full scans). Bound here: the other tenant's p50 <= 100 ms.
'use strict';
const { startServer, openOk, sendAcked, timedFetch, rowsOnDisk, sleep, percentile, fmtInt } = require('../lib');

const ROWS = 200000;
const READERS = 4;
const SAMPLES = 20;
const BOUND_MS = 100;

async function run(t) {
  const server = await startServer({ args: ['--retention-entries', '10000000'] });
  try {
    const producer = await openOk(server.wsUrl, { userId: 'p', appId: 'big-tenant', mode: 'producer' });
    const batch = JSON.stringify({ type: 'logs', data: { logs: Array.from({ length: 1000 }, (_, i) => ({ message: `order ${i} shipped to warehouse ${i % 17}` })) } });
    await sendAcked(producer.ws, Array.from({ length: ROWS / 1000 }, () => batch), 4);
    producer.ws.terminate();
    const small = await openOk(server.wsUrl, { userId: 'p', appId: 'small-tenant', mode: 'producer' });
    await sendAcked(small.ws, [JSON.stringify({ type: 'logs', data: { logs: Array.from({ length: 100 }, (_, i) => ({ message: `small ${i}` })) } })]);
    small.ws.terminate();
    const deadline = Date.now() + 90000;
    let stored = 0;
    while (Date.now() < deadline && (stored = rowsOnDisk(server.dataDir)) < ROWS + 100) await sleep(500);
    t.record('rows stored (big tenant + small tenant)', fmtInt(stored));

    const query = async (app, q = '') => timedFetch(`${server.url}api/v1/logs?app=${app}&limit=50${q ? `&q=${q}` : ''}`,
      { headers: { 'X-Smartlog-App': app } }, 30000).catch((e) => ({ status: e.name, ms: 30000 }));
    const measure = async () => {
      const ms = [];
      for (let i = 0; i < SAMPLES; ++i) {
        ms.push((await query('small-tenant')).ms);
        await sleep(50);
      }
      return ms.sort((a, b) => a - b);
    };
    const idle = await measure();
    let stop = false;
    let scans = 0;
    const scanMs = [];
    const readers = Array.from({ length: READERS }, async () => {
      while (!stop) {
        const r = await query('big-tenant', 'zq');
        ++scans;
        scanMs.push(r.ms);
      }
    });
    await sleep(500);
    const loaded = await measure();
    stop = true;
    await Promise.all(readers);
    scanMs.sort((a, b) => a - b);
    const fmt = (a) => `p50 ${percentile(a, 50).toFixed(1)} ms, max ${a.at(-1).toFixed(1)} ms`;
    t.record('other tenant\'s plain query, idle', fmt(idle));
    t.record(`${READERS} readers' q=zq over ${fmtInt(ROWS)} rows`, `${scans} queries, ${fmt(scanMs)}`);
    t.record(`other tenant's plain query under them: p50 <= ${BOUND_MS} ms`, fmt(loaded), percentile(loaded, 50) <= BOUND_MS);
    t.headline(`other tenant p50 ${percentile(idle, 50).toFixed(0)} ms idle -> ${percentile(loaded, 50).toFixed(0)} ms`);
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 12, name: 'query-starve', title: `${READERS} readers repeating a 2-char q over ${fmtInt(ROWS)} stored rows; another tenant's query`,
  bound: `other tenant's plain query p50 <= ${BOUND_MS} ms`, budgetMs: 180000, run,
};
