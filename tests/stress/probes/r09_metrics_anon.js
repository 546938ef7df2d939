// Row 9: anonymous GET /metrics on a server with users configured. docs/protocol.md: apps
// cannot be enumerated; the issue: per-app series only to a caller with a credential.
'use strict';
const crypto = require('node:crypto');
const { startServer, openAuthed, sendAcked, timedFetch } = require('../lib');

const APP = 'secret-payroll-7f3a';

async function run(t) {
  const sha = crypto.createHash('sha256').update('tok').digest('hex');
  const server = await startServer({
    args: ['--durability', 'memory'],
    toml: `[[apps]]\nid = "${APP}"\n\n[[users]]\nid = "alice"\ntoken_sha256 = "${sha}"\napps = { ${JSON.stringify(APP)} = ["read", "write"] }\n`,
  });
  try {
    const p = await openAuthed(server.wsUrl, { userId: 'alice', appId: APP, token: 'tok', mode: 'producer' });
    if (p.status !== 'ok') throw new Error(`producer: ${p.status}`);
    await sendAcked(p.ws, [JSON.stringify({ type: 'logs', data: { logs: [{ message: 'salary run' }] } })]);
    p.ws.terminate();
    const m = await timedFetch(`${server.url}metrics`);
    const revealed = m.body.includes(APP);
    const series = m.body.split('\n').filter((l) => l.includes(APP));
    t.record('anonymous GET /metrics: status', m.status);
    t.record(`app id "${APP}" in the answer`, revealed ? `yes, in ${series.length} series (e.g. ${series[0]})` : 'no', !revealed);
    t.headline(revealed ? `status ${m.status}, app id present in ${series.length} series` : `status ${m.status}, no app id`);
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 9, name: 'metrics-anon', title: 'anonymous GET /metrics with [[users]] configured',
  bound: 'no app id revealed to a caller without a credential', budgetMs: 30000, run,
};
