// Row 8: one address (127.0.0.2) holds as many WebSocket connections as it can without ever
// authenticating, reopening each one the server closes or refuses; meanwhile a legitimate user
// from another address (127.0.0.3) connects, authenticates and pings every 200 ms. The issue's
// bound: caps per address and on unauthenticated connections, so that a client without
// credentials cannot lock others out. Defaults (max_connections 1000, auth_timeout 10 s).
'use strict';
const http = require('node:http');
const { startServer, startRole, openAuthed, ping, sleep, fmtInt } = require('../lib');

const HOG_SLOTS = 1100;
const TRY_MS = 12000;

function healthz(port, localAddress) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', localAddress, timeout: 2000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => { req.destroy(); resolve('timeout'); });
    req.on('error', (e) => resolve(e.code || 'error'));
  });
}

async function run(t) {
  const server = await startServer({ args: ['--durability', 'memory'] });
  try {
    const hog = startRole('hog', { url: server.wsUrl, localAddress: '127.0.0.2', slots: HOG_SLOTS, retryMs: 500 });
    await hog.next((m) => m.started, 10000, 'hog start');
    // Let it take what it can.
    let tick = { open: 0 };
    const fillEnd = Date.now() + 5000;
    while (Date.now() < fillEnd) {
      tick = await hog.next((m) => m.tick, 5000, 'hog tick');
      if (tick.open >= HOG_SLOTS) break;
    }
    t.record('hog connections open (unauthenticated)', fmtInt(tick.open));
    let ok = 0, tries = 0;
    const outcomes = {};
    const health = {};
    const end = Date.now() + TRY_MS;
    while (Date.now() < end) {
      ++tries;
      const c = await openAuthed(server.wsUrl, { userId: 'legit', appId: 'legit-app', localAddress: '127.0.0.3', timeoutMs: 2000 });
      const served = c.status === 'ok' && await ping(c.ws, 2000);
      if (served) ++ok;
      const key = served ? 'ok' : String(c.status);
      outcomes[key] = (outcomes[key] || 0) + 1;
      c.ws.terminate();
      const h = await healthz(server.port, '127.0.0.3');
      health[h] = (health[h] || 0) + 1;
      await sleep(200);
    }
    if (hog.connected) hog.send('stop');
    const final = await hog.next((m) => m.report, 5000, 'hog report').catch(() => ({}));
    const rate = ok / tries;
    t.record('hog: opened / refused / failed over the probe', `${fmtInt(final.opened)} / ${fmtInt(final.refused)} / ${fmtInt(final.failed)}`);
    t.record(`legitimate user (connect + auth + ping) in ${TRY_MS / 1000} s`, `${ok}/${tries} (${(100 * rate).toFixed(0)}%) ${JSON.stringify(outcomes)}`, rate >= 0.9);
    t.record('/healthz from the legitimate address', JSON.stringify(health), (health[200] || 0) >= 0.9 * tries);
    t.headline(`legitimate user got in ${ok}/${tries} times; /healthz ${JSON.stringify(health)}`);
    hog.stop();
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 8, name: 'hog', title: `one address holding ${fmtInt(HOG_SLOTS)} unauthenticated connections, reopening them; a legitimate user from another`,
  bound: 'the legitimate user is served >= 90% of tries; /healthz 200', budgetMs: 60000, run,
};
