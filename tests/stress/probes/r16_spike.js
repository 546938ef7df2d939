// Row 16: a spike of memory made of many small buffers (16 KB `send_metrics` frames queued for
// viewers that do not read, 15-byte pongs queued for a ping flooder that does not read), then
// every client gone. The issue: memory freed after a spike goes back to the system. Bound here:
// 3 s after the server has no session left, RSS is within 32 MiB of what it was before.
'use strict';
const {
  SOURCES, startServer, startRole, openMany, closeAll, rawUpgrade, clientFrame, writeUntil, sleep, mib, metricsText, metricValue,
} = require('../lib');

const VIEWERS = 20;
const SPIKE_MS = 5000;
const BOUND = 32 << 20;
const QUIET_S = 3;

async function run(t) {
  const server = await startServer({ args: ['--durability', 'memory', '--idle-timeout', '60s'] });
  try {
    const viewers = (await openMany(server.wsUrl, VIEWERS, 10, (i) => ({
      userId: `v${i}`, appId: 'spike-app', localAddress: SOURCES[i % SOURCES.length],
    }))).filter((c) => c.status === 'ok');
    for (const v of viewers) v.ws._socket.pause();
    await sleep(300);
    const before = server.rss();
    const flooder = startRole('metricsFlood', { url: server.wsUrl, appId: 'spike-app', bytes: 16000, ms: SPIKE_MS });
    await flooder.next((m) => m.started, 15000, 'flooder start');
    const pinger = await rawUpgrade(server.port);
    pinger.socket.pause();
    const frame = clientFrame('{"type":"ping"}');
    await writeUntil(pinger.socket, Buffer.concat(Array.from({ length: 10000 }, () => frame)), Date.now() + SPIKE_MS);
    await flooder.next((m) => m.report, 15000, 'flooder report');
    flooder.stop();
    closeAll(viewers);
    pinger.socket.destroy();
    // The server may still be working for clients that have gone: wait until it has no session
    // left (at most 20 s), then give it a quiet moment.
    const left = Date.now();
    let sessions = -1;
    while (Date.now() - left < 20000 && server.alive()) {
      const text = await metricsText(server).catch(() => '');
      sessions = metricValue(text, 'smartlog_websocket_sessions');
      if (sessions === 0) break;
      await sleep(500);
    }
    const gone = Date.now() - left;
    const trail = [];
    for (let i = 0; i < QUIET_S; ++i) {
      await sleep(1000);
      trail.push(server.rss());
    }
    const after = trail.at(-1);
    const peak = Math.max(server.peakRss, server.hwm());
    t.record('RSS before the spike', mib(before));
    t.record(`peak: 16 KB send_metrics to ${viewers.length} viewers and pings, nobody reading, ${SPIKE_MS / 1000} s`, `${mib(peak)}${server.capped ? ' (capped: killed)' : ''}`);
    t.record('last session gone after the clients left', sessions === 0 ? `${gone} ms` : `not within 20 s (${sessions} left)`);
    t.record(`RSS 1..${QUIET_S} s after that`, trail.map(mib).join(', '));
    t.record(`RSS ${QUIET_S} s after the last session (<= before + ${mib(BOUND)})`, `${mib(after)} (+${mib(after - before)})`,
      !server.capped && sessions === 0 && after - before <= BOUND);
    t.headline(`RSS ${mib(before)} -> peak ${mib(peak)} -> ${mib(after)} with every client gone`);
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 16, name: 'spike', title: `a spike of small queued frames (${VIEWERS} stalled viewers, a ping flooder), then every client gone`,
  bound: 'RSS back within 32 MiB of its pre-spike figure 3 s after the last client is gone', budgetMs: 90000, run,
};
