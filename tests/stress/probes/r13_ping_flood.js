// Row 13: an unauthenticated client floods `ping` and never read the pongs. SPEC 3.3: every frame
// a connection is owed, pongs included, counts against its max_outbound_bytes, with its real
// memory (bytes plus per-frame overhead): growth <= connections x max_outbound_bytes + slack.
'use strict';
const { startServer, rawUpgrade, clientFrame, sleep, mib, fmtInt } = require('../lib');

const CONNS = 1;
const FLOOD_MS = 10000;
const MAX_OUTBOUND = 8 << 20;
const SLACK = 16 << 20;

function flood(socket, chunk, end) {
  return new Promise((resolve) => {
    let written = 0, error = null;
    socket.on('error', (e) => { error = e.code || e.message; });
    socket.on('close', () => resolve({ written, error: error || 'closed' }));
    const pump = () => {
      while (Date.now() < end && !socket.destroyed) {
        written += chunk.length;
        if (!socket.write(chunk)) return socket.once('drain', pump);
      }
      resolve({ written, error });
    };
    // A drain that never comes (the server stopped reading) must not outlive the probe.
    setTimeout(() => resolve({ written, error: error || 'still open' }), end - Date.now() + 100);
    pump();
  });
}

async function run(t) {
  const server = await startServer({ args: ['--durability', 'memory'] });
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
    const results = await Promise.all(conns.map((s) => flood(s, chunk, end)));
    await sleep(500);
    const peak = Math.max(server.peakRss, server.hwm());
    const pings = results.reduce((n, r) => n + r.written, 0) / frame.length;
    const bound = CONNS * MAX_OUTBOUND + SLACK;
    t.record(`pings written by ${CONNS} connections in ${FLOOD_MS / 1000} s`, `${fmtInt(Math.round(pings))} (${results.map((r) => r.error || 'open').join(', ')})`);
    t.record('server RSS before / peak / growth', `${mib(base)} / ${mib(peak)} / ${mib(peak - base)}${server.capped ? ' (capped: killed)' : ''}`);
    t.record('growth per connection (max_outbound_bytes 8 MiB)', mib((peak - base) / CONNS));
    t.record(`growth <= ${CONNS} x max_outbound_bytes + ${mib(SLACK)}`, mib(bound), !server.capped && peak - base <= bound);
    t.headline(`${mib((peak - base) / CONNS)} per connection against an 8 MiB bound`);
    for (const s of conns) s.destroy();
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 13, name: 'ping-flood', title: `${CONNS} unauthenticated client flooding ping, never reading, ${FLOOD_MS / 1000} s`,
  bound: 'RSS growth <= connections x max_outbound_bytes (8 MiB) + 16 MiB', budgetMs: 60000, run,
};
