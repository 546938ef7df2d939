// Isolation between apps (docs/protocol.md "Isolation"): no live entry, history, metric, app_metrics,
// cleared notice or error of one app ever reaches a connection of another, whatever the
// producer claims.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { as, sendLogs, history, TEST_TOML } = require('../support/client');

let server;
before(async () => {
  server = await startServer({ toml: TEST_TOML, args: ['--metrics-interval', '200ms', '--batch-max-delay', '5ms'] });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
});

test('nothing of one app reaches another: live, history, metrics, app_metrics, errors, cleared', async () => {
  // alice may use both apps; her app2 connection must still see only app2.
  const view1 = await as(server.wsUrl, 'alice', 'app1');
  const view2 = await as(server.wsUrl, 'alice', 'app2');
  const bob2 = await as(server.wsUrl, 'bob', 'app2');
  const prod1 = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
  const prod2 = await as(server.wsUrl, 'bob', 'app2', { mode: 'producer' });

  // app1's data, some of it claiming to belong to app2.
  await sendLogs(prod1, [
    { message: 'SECRET-APP1 plain', level: 'error' },
    { message: 'SECRET-APP1 claims app2', appId: 'app2', userId: 'bob' },
  ]);
  prod1.send({ type: 'send_metrics', data: { metrics: { secret: 'SECRET-APP1 metrics' }, appId: 'app2' } });
  // Cross-app attempts on app1's connection: another app's name in fields it does not own.
  const err = await prod1.request({ type: 'request_history', ref: 'x' }, 'error');  // a producer without read
  assert.equal(err.payload.code, 'forbidden');
  await sendLogs(prod2, [{ message: 'app2 plain' }]);

  const live1 = await view1.entries(2);
  assert.deepEqual(live1.map((e) => [e.appId, e.message]), [['app1', 'SECRET-APP1 plain'], ['app1', 'SECRET-APP1 claims app2']]);
  await view1.next('app_metrics');
  const live2 = await view2.entries(1);
  assert.deepEqual(live2.map((e) => [e.appId, e.message]), [['app2', 'app2 plain']]);

  // History: each sees its own app only, even asking to resume after another app's entry.
  const h2 = await history(view2);
  assert.deepEqual(h2.payload.map((e) => e.message), ['app2 plain']);
  const resumed = await history(view2, { afterId: live1[0].id });
  assert.equal(resumed.gap, true, 'an id of another app is not known here');
  assert.deepEqual(resumed.payload.map((e) => e.message), ['app2 plain']);
  const h1 = await history(view1);
  assert.deepEqual(h1.payload.map((e) => e.appId), ['app1', 'app1']);

  // Metrics: per-app figures. A periodic push may have arrived before every connection
  // joined: only the answers to these requests count.
  view1.take('metrics');
  view2.take('metrics');
  const m1 = await view1.request({ type: 'request_metrics' }, 'metrics');
  const m2 = await view2.request({ type: 'request_metrics' }, 'metrics');
  assert.equal(m1.payload.activeConnections, 2);  // view1, prod1
  assert.equal(m2.payload.activeConnections, 3);  // view2, bob2, prod2
  // A clear of app1 is not heard in app2 and leaves app2's history alone.
  const cleared = await view1.request({ type: 'clear' }, 'cleared');
  assert.equal(cleared.payload.appId, 'app1');
  assert.equal(cleared.payload.count, 2);
  assert.deepEqual((await history(view2)).payload.map((e) => e.message), ['app2 plain']);

  // Wait for two metrics pushes in app2 so that the interval that saw app1's ingest is over.
  await view2.next('metrics', 2000);
  await view2.next('metrics', 2000);
  for (const c of [view2, bob2, prod2]) await c.sync();

  // Whatever app2's connections received, none of it mentions app1 or carries its data.
  for (const [name, c] of [['view2', view2], ['bob2', bob2], ['prod2', prod2]]) {
    for (const m of c.received) {
      const text = JSON.stringify(m);
      assert.ok(!text.includes('SECRET-APP1'), `${name} received app1 data: ${text}`);
      assert.ok(!text.includes('"app1"'), `${name} received a message naming app1: ${text}`);
      assert.notEqual(m.type, 'cleared', `${name} heard app1's clear`);
      assert.notEqual(m.type, 'app_metrics', `${name} received app_metrics`);
    }
  }
  // And app1's push metrics count app1's ingest, app2's do not.
  const pushed2 = view2.received.filter((m) => m.type === 'metrics');
  assert.ok(pushed2.every((m) => m.payload.errorRate === 0), 'app1 error entries counted in app2');
  for (const c of [view1, view2, bob2, prod1, prod2]) c.close();
});

test('an error reply names only the connection\'s own app', async () => {
  const reader = await as(server.wsUrl, 'reader', 'app1');
  const err = await reader.request({ type: 'logs', data: { logs: [{ message: 'x', appId: 'app2' }] } }, 'error');
  assert.equal(err.payload.code, 'forbidden');
  assert.ok(!JSON.stringify(err).includes('app2'), JSON.stringify(err));
  reader.close();
});
