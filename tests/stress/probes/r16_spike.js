// Row 16: a spike of memory (viewers asking for large history answers and not reading), then
// every client gone. The issue: memory freed after a spike goes back to the system. Bound here:
// 5 s after the last client left, RSS is within 32 MiB of what it was before the spike.
'use strict';
const { startServer, openAuthed, openMany, closeAll, sendAcked, sleep, mib } = require('../lib');

const VIEWERS = 100;
const REQUESTS = 3;
const ENTRIES = 1000;
const ENTRY_BYTES = 4000;
const BOUND = 32 << 20;

async function run(t) {
  const server = await startServer({ args: ['--durability', 'memory', '--history-limit', String(ENTRIES), '--idle-timeout', '60s'] });
  try {
    const producer = await openAuthed(server.wsUrl, { userId: 'p', appId: 'spike-app', mode: 'producer' });
    const message = 's'.repeat(ENTRY_BYTES);
    await sendAcked(producer.ws, Array.from({ length: ENTRIES / 100 }, () => JSON.stringify({ type: 'logs', data: { logs: Array.from({ length: 100 }, () => ({ message })) } })), 4);
    producer.ws.terminate();
    await sleep(500);
    const before = server.rss();
    const viewers = await openMany(server.wsUrl, VIEWERS, 25, (i) => ({ userId: `v${i}`, appId: 'spike-app' }));
    for (const v of viewers) {
      v.ws._socket.pause();
      for (let i = 0; i < REQUESTS; ++i) v.ws.send('{"type":"request_history"}');
    }
    await sleep(4000);
    closeAll(viewers);
    // What the server does for clients that have gone may still allocate: sample the settling.
    const trail = [];
    for (let i = 0; i < 5; ++i) {
      await sleep(1000);
      trail.push(server.rss());
    }
    const after = trail.at(-1);
    const peak = Math.max(server.peakRss, server.hwm());
    t.record('RSS before the spike (history stored)', mib(before));
    t.record(`peak with ${VIEWERS} viewers x ${REQUESTS} history answers of ${mib(ENTRIES * ENTRY_BYTES)}, not reading`, `${mib(peak)}${server.capped ? ' (capped: killed)' : ''}`);
    t.record('RSS 1..5 s after every client left', trail.map(mib).join(', '));
    t.record(`RSS 5 s after every client left (<= before + ${mib(BOUND)})`, `${mib(after)} (+${mib(after - before)})`, !server.capped && after - before <= BOUND);
    t.headline(`RSS ${mib(before)} -> peak ${mib(peak)} -> ${mib(after)} after all clients left`);
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 16, name: 'spike', title: `${VIEWERS} stalled viewers asking for history, then all gone`,
  bound: 'RSS returns within 32 MiB of its pre-spike figure within 5 s', budgetMs: 60000, run,
};
