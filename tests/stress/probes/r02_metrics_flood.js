// Row 2: a user with read+write floods 16 KB `send_metrics` on its app while one viewer of
// that app reads nothing. docs/protocol.md: every frame a connection is owed counts against its
// max_outbound_bytes, so the server's growth is bounded by viewers x max_outbound_bytes; and
// another app's client must not stall.
'use strict';
const { startServer, startRole, startMeter, fmtStall, openOk, mib, fmtInt, STALL_BOUND_MS, metricValue, timedFetch } = require('../lib');

const FLOOD_MS = 8000;
const MAX_OUTBOUND = 8 << 20;
const SLACK = 32 << 20;  // allocator and frame-in-flight overhead

async function run(t) {
  // send_metrics is a control message: at the default control_rate_limit the flooder is
  // refused and closed within a second (row 6 holds that limit). Off here, so that what this
  // row measures is the gate that bounds what the viewer is owed.
  const server = await startServer({ args: ['--durability', 'memory', '--idle-timeout', '60s', '--control-rate-limit', '0'] });
  try {
    const meter = await startMeter(server);
    const viewer = await openOk(server.wsUrl, { userId: 'slow', appId: 'metrics-app' });
    viewer.ws._socket.pause();  // reads nothing from here on
    let viewerClosed = null;
    viewer.ws.on('close', (code) => { viewerClosed = code; });
    const base = server.rss();
    const flooder = startRole('metricsFlood', { url: server.wsUrl, appId: 'metrics-app', bytes: 16000, ms: FLOOD_MS });
    await flooder.next((m) => m.started, 15000, 'flooder start');
    const report = await flooder.next((m) => m.report, FLOOD_MS + 15000, 'flooder report');
    const stall = await meter.stop();
    const peak = Math.max(server.peakRss, server.hwm());
    const bound = 1 * MAX_OUTBOUND + SLACK;
    t.record('send_metrics sent (16 KB each)', `${fmtInt(report.sent)} (${mib(report.bytes || 0)}) ${JSON.stringify(report.errors || {})}${report.closed ? ', flooder closed' : ''}`);
    t.record('server RSS before / peak / growth', `${mib(base)} / ${mib(peak)} / ${mib(peak - base)}${server.capped ? ' (capped: killed)' : ''}`);
    t.record(`growth <= 1 viewer x max_outbound_bytes + ${mib(SLACK)} slack`, mib(bound), !server.capped && peak - base <= bound);
    t.record(`longest stall seen by another app's client (<= ${STALL_BOUND_MS} ms)`, fmtStall(stall), stall.max <= STALL_BOUND_MS);
    if (server.alive()) {
      const m = await timedFetch(`${server.url}metrics`, {}, 20000).catch((e) => ({ error: e.message }));
      const text = m.body || '';
      t.record('smartlog_outbound_queue_max_bytes afterwards', m.error || mib(metricValue(text, 'smartlog_outbound_queue_max_bytes') || 0));
    }
    t.record('the stalled viewer closed by the server', viewerClosed ?? 'no');
    t.headline(`peak RSS growth ${mib(peak - base)} (bound ${mib(bound)}); stall ${Number.isFinite(stall.max) ? stall.max.toFixed(0) : '?'} ms`);
    viewer.ws.terminate();
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 2, name: 'metrics-flood', title: `16 KB send_metrics flood for ${FLOOD_MS / 1000} s, one viewer of the app not reading`,
  bound: `RSS growth <= viewers x max_outbound_bytes (8 MiB) + 32 MiB; other app's stall <= ${STALL_BOUND_MS} ms`, budgetMs: 60000, run,
};
