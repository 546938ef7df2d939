// Row 1: with durability "batch" (the default), three producers flood as fast as the server
// acknowledges; then a clean stop (SIGTERM). Every acknowledged entry must be on disk.
'use strict';
const { startServer, startRole, rowsOnDisk, timedFetch, fmtInt } = require('../lib');

const PRODUCERS = 3;
const FLOOD_MS = 10000;

async function run(t) {
  // Retention far above what the flood sends, so that only loss can make rows missing.
  const server = await startServer({ args: ['--retention-entries', '1000000000'] });
  const kids = Array.from({ length: PRODUCERS }, (_, i) => startRole('flood', {
    url: server.wsUrl, appId: `durable${i}`, ms: FLOOD_MS, perMessage: 1000, inFlight: 16,
  }));
  for (const k of kids) await k.next((m) => m.started, 15000, 'producer start');
  const reports = await Promise.all(kids.map((k) => k.next((m) => m.report, FLOOD_MS + 45000, 'producer report')));
  const acked = reports.reduce((n, r) => n + (r.accepted || 0), 0);
  const errors = {};
  for (const r of reports) for (const [code, n] of Object.entries(r.errors || {})) errors[code] = (errors[code] || 0) + n;
  t.record(`entries acknowledged by ${PRODUCERS} producers in ${FLOOD_MS / 1000} s`, fmtInt(acked));
  t.record('messages refused (error code: count)', JSON.stringify(errors));
  const stopStart = Date.now();
  const exit = await server.stop('SIGTERM', 120000);
  t.record('clean stop (SIGTERM): exit, time', `${exit.killedAfterGrace ? 'killed after 120 s' : `code ${exit.code}`}, ${Date.now() - stopStart} ms`,
    !exit.killedAfterGrace && exit.code === 0);
  const onDisk = rowsOnDisk(server.dataDir);
  const lost = acked - onDisk;
  t.record('entries on disk after the clean stop', fmtInt(onDisk));
  t.record('acknowledged entries lost', `${fmtInt(Math.max(0, lost))} (${((100 * Math.max(0, lost)) / Math.max(1, acked)).toFixed(1)}%)`, onDisk >= acked);
  // And the restart on the same data_dir is ready.
  const again = await startServer({ dataDir: server.dataDir, timeoutMs: 60000 });
  const ready = await timedFetch(`${again.url}readyz`);
  t.record('restart on the same data_dir: /readyz', ready.status, ready.status === 200);
  await again.stop();
  t.headline(`${fmtInt(acked)} acknowledged, ${fmtInt(onDisk)} on disk after a clean stop`);
}

module.exports = {
  row: 1, name: 'durability', title: `durability = "batch", ${PRODUCERS} producers flooding for ${FLOOD_MS / 1000} s, clean stop`,
  bound: 'no acknowledged entry lost: on disk = acknowledged', budgetMs: 240000, run,
};
