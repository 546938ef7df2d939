// A restart serves while the histories load (docs/performance.md, "Restart"): producers,
// viewers, HTTP ingest and clears arriving at once on many apps each wait for their own app's
// history, and nothing restored is lost, doubled, reordered, or brought back after a clear.
// How many apps a request reaches before the loading thread does depends on timing (the
// server's log says, and the test prints it); the answers must be right whichever way each
// app was loaded. The waiting itself is tested deterministically in
// tests/unit/server/hub_restore_test.cpp.
'use strict';
const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { connectAs, sendLogs, history, waitFor } = require('../support/client');
const { stopCleanly } = require('../support/stored');

// Enough that the histories take a while to load after the server listens (its log says how
// many apps a request asked for first); the answers must be right either way.
const APPS = 40;
const PER_APP = 2500;
const appName = (i) => `app${i}`;
const batch = (app, n) => Array.from({ length: n }, (_, i) => ({ message: `${app}-${i}`, level: 'info' }));

function assertIncreasing(entries, what) {
  for (let i = 1; i < entries.length; i++) assert.ok(entries[i - 1].id < entries[i].id, `${what}: ids grow`);
}

describe('restart while serving', () => {
  test('every client coming back at once gets its whole app, then its own entries', async (t) => {
    const args = ['--history-limit', String(PER_APP)];
    let server = await startServer({ args });
    const apps = Array.from({ length: APPS }, (_, i) => appName(i));
    await Promise.all(apps.map(async (app) => {
      const producer = await connectAs(server.wsUrl, 'u', app, { mode: 'producer' });
      for (let i = 0; i < PER_APP; i += 500) {
        assert.equal((await sendLogs(producer, batch(app, PER_APP).slice(i, i + 500))).payload.accepted, 500);
      }
      producer.close();
    }));
    await stopCleanly(server);

    server = await startServer({ args, dataDir: server.dataDir });
    const post = (app, logs) => fetch(`${server.url}api/v1/logs`, {
      method: 'POST',
      body: JSON.stringify(logs),
      headers: { 'Content-Type': 'application/json', 'X-Smartlog-User': 'u', 'X-Smartlog-App': app },
    });
    // app0 is cleared over HTTP, app1 over WebSocket, app2 gets its new entry over HTTP; the
    // others from a WebSocket producer. Nothing waits for anything else first.
    const results = await Promise.all(apps.map(async (app, i) => {
      const client = await connectAs(server.wsUrl, 'u', app);
      if (i === 0) {
        const res = await fetch(`${server.url}api/v1/logs?app=${app}`, { method: 'DELETE', headers: { 'X-Smartlog-User': 'u' } });
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { appId: app, cleared: PER_APP });
      } else if (i === 1) {
        client.send({ type: 'clear' });
        await client.next('cleared');
      }
      if (i === 2) {
        const res = await post(app, [{ message: `${app}-new` }]);
        assert.equal(res.status, 200);
        assert.equal((await res.json()).accepted, 1);
      } else {
        assert.equal((await sendLogs(client, [{ message: `${app}-new` }])).payload.accepted, 1);
      }
      const answer = (await history(client)).payload;
      client.close();
      return answer;
    }));
    results.forEach((answer, i) => {
      const app = appName(i);
      const expected = i <= 1 ? [] : batch(app, PER_APP).map((e) => e.message);
      expected.push(`${app}-new`);
      // history_limit holds: the new entry pushed the oldest out.
      assert.deepEqual(answer.map((e) => e.message), expected.slice(-PER_APP), app);
      assertIncreasing(answer, app);
    });
    const reported = /restored=(\d+) in \d+ ms \(40 apps, \d+ of them read first[^\n]*/;
    await waitFor(() => reported.test(server.output()), { what: 'the restore to be reported', timeoutMs: 20000 });
    const [line, restored] = server.output().match(reported);
    assert.equal(Number(restored), APPS * PER_APP);
    t.diagnostic(line);
    await stopCleanly(server);
  });
});
