// Row 6: the original NehonixSmartLogger web console re-authenticates in a loop, each time
// followed by a message type smartlogd does not know (`get_last_actions`). SPEC 3.3: control
// messages are rate-limited per connection by default (`error/rate_limited`, then close 1008).
'use strict';
const WebSocket = require('ws');
const { startServer, fmtInt } = require('../lib');

const LOOP_MS = 5000;

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
    t.record('connection closed by the server', closed ?? `no (still open after ${LOOP_MS / 1000} s)`, closed !== null && closed.startsWith('1008'));
    t.headline(`${fmtInt(counts.auth_success || 0)} auth_success in ${seconds.toFixed(1)} s; rate_limited: ${firstLimit === null ? 'never' : `after ${firstLimit} ms`}; closed: ${closed ?? 'no'}`);
    ws.terminate();
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 6, name: 'reauth', title: `the original console's loop: auth + get_last_actions on every auth_success, ${LOOP_MS / 1000} s`,
  bound: 'control messages rate-limited: error/rate_limited, then close 1008', budgetMs: 30000, run,
};
