// Row 13: an unauthenticated client floods `ping` and never read the pongs. SPEC 3.3: every frame
// a connection is owed, pongs included, counts against its max_outbound_bytes, with its real
// memory (bytes plus per-frame overhead): growth <= connections x max_outbound_bytes + slack.
// max_outbound_bytes is lowered to 4 MiB so that a flood reaches it in seconds on a busy machine.
'use strict';
const { startServer, rawUpgrade, clientFrame, writeUntil, sleep, mib, fmtInt, metricsText, metricValue } = require('../lib');

const CONNS = 1;
const FLOOD_MS = 10000;
const MAX_OUTBOUND = 4 << 20;
const SLACK = 4 << 20;

async function run(t) {
  const server = await startServer({ args: ['--durability', 'memory', '--max-outbound-bytes', String(MAX_OUTBOUND)] });
  try {
    const base = server.rss();
    const frame = clientFrame('{"type":"ping"}');
    const chunk = Buffer.concat(Array.from({ length: 10000 }, () => frame));
    const conns = [];
    for (let i = 0; i < CONNS; ++i) {
      const c = await rawUpgrade(server.port);
      if (c.status !== 101) throw new Error(`upgrade answered ${c.status}`);
      c.socket.pause();  // never read a pong
      conns.push(c.socket);
    }
    const end = Date.now() + FLOOD_MS;
    const results = await Promise.all(conns.map((s) => writeUntil(s, chunk, end)));
    await sleep(500);
    const text = await metricsText(server).catch(() => '');
    const counted = metricValue(text, 'smartlog_outbound_queue_bytes') || 0;
    const peak = Math.max(server.peakRss, server.hwm());
    const pings = results.reduce((n, r) => n + r.written, 0) / frame.length;
    const bound = CONNS * MAX_OUTBOUND + SLACK;
    t.record(`pings written by ${CONNS} connections in ${FLOOD_MS / 1000} s`, `${fmtInt(Math.round(pings))} (${results.map((r) => r.error || 'open').join(', ')})`);
    t.record('server RSS before / peak / growth', `${mib(base)} / ${mib(peak)} / ${mib(peak - base)}${server.capped ? ' (capped: killed)' : ''}`);
    t.record('what the server counts queued (smartlog_outbound_queue_bytes)', counted >= 65536 ? `${mib(counted)}; real growth / counted = ${((peak - base) / counted).toFixed(1)}x` : `${fmtInt(counted)} B (this gauge does not see them)`);
    t.record(`growth per connection (max_outbound_bytes ${mib(MAX_OUTBOUND)})`, mib((peak - base) / CONNS));
    t.record(`growth <= ${CONNS} x max_outbound_bytes + ${mib(SLACK)}`, mib(bound), !server.capped && peak - base <= bound);
    t.headline(`${mib((peak - base) / CONNS)} per connection against a ${mib(MAX_OUTBOUND)} max_outbound_bytes (counted ${mib(counted)})`);
    for (const s of conns) s.destroy();
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 13, name: 'ping-flood', title: `${CONNS} unauthenticated client flooding ping, never reading, ${FLOOD_MS / 1000} s`,
  bound: 'RSS growth <= connections x max_outbound_bytes (4 MiB here) + 4 MiB', budgetMs: 60000, run,
};
