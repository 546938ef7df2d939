// Row 10: a second smartlogd started on the data_dir of a running one. The bound: an
// exclusive lock on data_dir, so the second refuses to start (naming the holder); and storage
// errors are written to the server log.
'use strict';
const { startServer, timedFetch, rowsOnDisk, sleep } = require('../lib');

async function run(t) {
  const first = await startServer({});
  let second = null;
  try {
    await timedFetch(`${first.url}api/v1/logs`, { method: 'POST', headers: { 'X-Smartlog-App': 'first-app', 'Content-Type': 'application/json' }, body: '[{"message":"from the first"}]' });
    try {
      second = await startServer({ dataDir: first.dataDir, timeoutMs: 10000 });
    } catch (e) {
      const line = e.message.split('\n').slice(1).find((l) => l.trim()) || e.message;
      t.record('second smartlogd on the same data_dir', `refused to start: ${line.trim().slice(0, 160)}`, true);
      t.headline(`refused: ${line.trim().slice(0, 100)}`);
      return;
    }
    t.record('second smartlogd on the same data_dir', `started (port ${second.port})`, false);
    // Both now take entries for an app neither had before, as two servers behind one name would.
    const post10 = (srv, who) => timedFetch(`${srv.url}api/v1/logs`, {
      method: 'POST', headers: { 'X-Smartlog-App': 'shared-app', 'Content-Type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ message: `to the ${who} ${i}` }))),
    });
    await post10(first, 'first');
    const post = await post10(second, 'second');
    t.record('10 entries POSTed to the second: answer', `${post.status} ${post.body.slice(0, 80)}`);
    await sleep(1000);
    const ready = await timedFetch(`${second.url}readyz`);
    t.record('the second\'s /readyz', `${ready.status} ${ready.body.slice(0, 120)}`);
    await second.stop();
    await first.stop();
    const errorLines = second.output().split('\n').filter((l) => /error|fail|constraint/i.test(l));
    t.record('storage errors in the second\'s log', errorLines.length ? errorLines[0].slice(0, 140) : 'none', errorLines.length > 0);
    const stored = rowsOnDisk(first.dataDir, "WHERE message LIKE 'to the second %'");
    t.record('entries the second acknowledged that are on disk', `${stored}/10`, post.status !== 200 || stored === 10);
    t.headline(`second server started; POST ${post.status}; ${stored}/10 stored; /readyz ${ready.status}`);
  } finally {
    if (second) await second.stop('SIGKILL');
    await first.stop();
  }
}

module.exports = {
  row: 10, name: 'second-server', title: 'a second smartlogd on the same data_dir',
  bound: 'the second refuses to start', budgetMs: 60000, run,
};
