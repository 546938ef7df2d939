// Row 6: the original NehonixSmartLogger web console re-authenticates in a loop, each time
// followed by a message type smartlogd does not know (`get_last_actions`). docs/protocol.md: control
// messages are rate-limited per connection by default (`error/rate_limited`, then close 1008 for
// a client that keeps on faster than the refusals are forgiven). This loop waits for each
// auth_success, so refusals slow it down: it is held to the limit (at most burst + rate x time
// control messages answered with success, two per round) rather than closed; a client that
// does not wait is closed (tests/integration/outbound_gate.test.js).
'use strict';
const WebSocket = require('ws');
const { startServer, fmtInt } = require('../lib');

const LOOP_MS = 5000;
const CONTROL_RATE = 50;   // control_rate_limit's default
const CONTROL_BURST = 200; // control_rate_burst's default

async function run(t) {
  const server = await startServer({ args: ['--durability', 'memory'] });
  try {
    const ws = new WebSocket(server.wsUrl, { perMessageDeflate: false });
    const counts = {};
    let closed = null;
    let firstLimit = null;
    const auth = JSON.stringify({ type: 'auth', data: { userId: 'console', appId: 'console-app' } });
    const t0 = Date.now();
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, LOOP_MS);
      ws.on('open', () => ws.send(auth));
      ws.on('message', (data) => {
        const msg = JSON.parse(data.toString());
        const key = msg.type === 'error' || msg.type === 'auth_error' ? `${msg.type}/${msg.payload.code}` : msg.type;
        counts[key] = (counts[key] || 0) + 1;
        if (msg.type === 'error' && msg.payload.code === 'rate_limited' && firstLimit === null) firstLimit = Date.now() - t0;
        // What the console does on every auth_success: ask for its actions, authenticate again.
        if (msg.type === 'auth_success' && ws.readyState === WebSocket.OPEN) {
          ws.send('{"type":"get_last_actions"}');
          ws.send(auth);
        }
      });
      ws.on('close', (code, reason) => { closed = `${code} ${reason}`; clearTimeout(timer); resolve(); });
      ws.on('error', () => {});
    });
    const seconds = (Date.now() - t0) / 1000;
    const answers = Object.values(counts).reduce((a, b) => a + b, 0);
    t.record(`answers in ${seconds.toFixed(1)} s`, `${fmtInt(answers)} (${fmtInt(Math.round(answers / seconds))}/s)`);
    t.record('answers by type', JSON.stringify(counts));
    t.record('first rate_limited after', firstLimit === null ? 'never' : `${firstLimit} ms`, firstLimit !== null);
    const rounds = counts.auth_success || 0;
    const roundBound = Math.ceil((CONTROL_BURST + CONTROL_RATE * seconds) / 2);
    const closed1008 = closed !== null && closed.startsWith('1008');
    t.record('connection closed by the server', closed ?? `no (still open after ${LOOP_MS / 1000} s)`);
    t.record(`held to the limit: closed with 1008, or auth_success <= (burst + rate x ${seconds.toFixed(1)} s) / 2 = ${roundBound}`,
      fmtInt(rounds), closed1008 || rounds <= roundBound);
    t.headline(`${fmtInt(counts.auth_success || 0)} auth_success in ${seconds.toFixed(1)} s; rate_limited: ${firstLimit === null ? 'never' : `after ${firstLimit} ms`}; closed: ${closed ?? 'no'}`);
    ws.terminate();
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 6, name: 'reauth', title: `the original console's loop: auth + get_last_actions on every auth_success, ${LOOP_MS / 1000} s`,
  bound: 'control messages rate-limited: error/rate_limited; held to burst + rate x time, or closed with 1008', budgetMs: 30000, run,
};
