// Row 11: sustained ingest (20,000 entries/s) against retention_entries. docs/storage.md:
// retention removes what is beyond retention_entries per app in the background; the issue:
// retention holds its bound under sustained ingest. Bound here: rows on disk never above
// 2 x retention_entries (room for the background steps and one commit interval).
'use strict';
const { startServer, startRole, rowsOnDisk, sleep, fmtInt } = require('../lib');

const RATE = 20000;
const INGEST_MS = 25000;
const RETENTION = 20000;

async function run(t) {
  const server = await startServer({ args: ['--retention-entries', String(RETENTION)] });
  try {
    const producer = startRole('paced', { url: server.wsUrl, appId: 'retained', rate: RATE, ms: INGEST_MS });
    await producer.next((m) => m.started, 10000, 'producer start');
    const samples = [];
    const end = Date.now() + INGEST_MS;
    while (Date.now() < end) {
      await sleep(2500);
      try { samples.push(rowsOnDisk(server.dataDir)); } catch { /* the file may not exist yet */ }
    }
    const report = await producer.next((m) => m.report, 15000, 'producer report');
    await sleep(2000);
    const settled = rowsOnDisk(server.dataDir);
    const max = Math.max(...samples, settled);
    t.record(`entries sent / acknowledged in ${INGEST_MS / 1000} s`, `${fmtInt(report.sentEntries)} / ${fmtInt(report.accepted)}`);
    t.record('rows on disk every 2.5 s', samples.map(fmtInt).join(', '));
    t.record('rows on disk 2 s after ingest stopped', fmtInt(settled));
    t.record(`most rows on disk <= 2 x retention_entries (${fmtInt(2 * RETENTION)})`, fmtInt(max), max <= 2 * RETENTION);
    t.headline(`up to ${fmtInt(max)} rows on disk with retention_entries ${fmtInt(RETENTION)}`);
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 11, name: 'retention', title: `${fmtInt(RATE)} entries/s for ${INGEST_MS / 1000} s, retention_entries = ${fmtInt(RETENTION)}`,
  bound: 'rows on disk <= 2 x retention_entries', budgetMs: 90000, run,
};
