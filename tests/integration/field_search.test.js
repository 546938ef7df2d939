// Search by field (docs/protocol.md, "Field search") in the three places that take it: the live
// filter, WebSocket history and the HTTP query, on disk and in memory; refusals that change
// nothing; and GET /api/v1/apps, the caller's apps.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { as, sendLogs, history, TEST_TOML } = require('../support/client');

const ENTRIES = [
  { level: 'error', message: 'checkout failed', metadata: { status: 502, user: { id: 42 }, trace_id: 'abc' } },
  { level: 'info', message: 'checkout ok', metadata: { status: 200, user: { id: 7 }, trace_id: 'def' } },
  { level: 'warn', message: 'no metadata here' },
];

for (const durability of ['batch', 'memory']) {
  describe(`field search (durability ${durability})`, () => {
    let server;
    before(async () => {
      server = await startServer({ toml: TEST_TOML, args: ['--durability', durability] });
      const producer = await as(server.wsUrl, 'alice', 'app1');
      await sendLogs(producer, ENTRIES);
      producer.close();
    });
    after(() => server.stop());

    async function query(q) {
      const res = await fetch(`${server.url}api/v1/logs?app=app1&q=${encodeURIComponent(q)}`, {
        headers: { authorization: 'Bearer alice-token', 'x-smartlog-user': 'alice' },
      });
      const body = await res.json();
      return { status: res.status, messages: body.logs?.map((e) => e.message), body };
    }

    test('the HTTP query', async () => {
      assert.deepEqual((await query('status>=500')).messages, ['checkout failed']);
      assert.deepEqual((await query('user.id=7')).messages, ['checkout ok']);
      assert.deepEqual((await query('trace_id=abc checkout')).messages, ['checkout failed']);
      assert.deepEqual((await query('status!=502')).messages, ['no metadata here', 'checkout ok']);
      assert.deepEqual((await query('checkout')).messages, ['checkout ok', 'checkout failed']);
      const bad = await query('status>=500 a..b=1');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.message, 'q: "a..b": a field name has an empty part');
    });

    test('the live filter and WebSocket history', async () => {
      const viewer = await as(server.wsUrl, 'alice', 'app1');
      const applied = await viewer.request({ type: 'filter', filters: { search: 'status>=500  checkout' } },
        'filter_applied');
      assert.equal(applied.payload.filters.search, 'checkout status>=500');
      const past = await history(viewer);
      assert.deepEqual(past.payload.map((e) => e.message), ['checkout failed']);
      // The setup's live batch leaves up to batch_max_delay after its ack, so it may have reached
      // this viewer before the request; the answer holds those entries too, no later batch does.
      viewer.take('logs');
      const producer = await as(server.wsUrl, 'alice', 'app1');
      await sendLogs(producer, [
        { message: 'checkout again', metadata: { status: 200 } },
        { message: 'checkout broke', metadata: { status: 503 } },
      ]);
      producer.close();
      const [live] = await viewer.entries(1);
      assert.equal(live.message, 'checkout broke');
      // A bad search is refused and the filter in force stays.
      const refused = await viewer.request({ type: 'filter', filters: { search: 'x="open' } }, 'error');
      assert.equal(refused.payload.message, 'filters.search: a quote is not closed');
      const again = await history(viewer);
      assert.deepEqual(again.payload.map((e) => e.message), ['checkout failed', 'checkout broke']);
      viewer.close();
    });
  });
}

describe('GET /api/v1/apps', () => {
  let server;
  before(async () => { server = await startServer({ toml: TEST_TOML }); });
  after(() => server.stop());

  async function apps(user, token) {
    const headers = { 'x-smartlog-user': user };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${server.url}api/v1/apps`, { headers });
    return { status: res.status, body: await res.json() };
  }

  test('lists the caller\'s apps with names, activity, permissions and rates', async () => {
    const r = await apps('alice', 'alice-token');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      userId: 'alice',
      apps: [
        { id: 'app1', name: 'App one', active: true, permissions: ['read', 'write', 'clear'], messageRate: 0, errorRate: 0 },
        { id: 'app2', name: 'App two', active: true, permissions: ['read', 'write', 'clear'], messageRate: 0, errorRate: 0 },
        { id: 'dormant', name: 'dormant', active: false, permissions: ['read'], messageRate: 0, errorRate: 0 },
      ],
    });
    assert.deepEqual((await apps('writer', 'writer-token')).body.apps.map((a) => [a.id, a.permissions]),
      [['app1', ['write']]]);
  });

  test('refuses a wrong token and unknown parameters', async () => {
    const r = await apps('alice', 'nope');
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'invalid_credentials');
    const res = await fetch(`${server.url}api/v1/apps?app=app1`, {
      headers: { 'x-smartlog-user': 'alice', authorization: 'Bearer alice-token' },
    });
    assert.equal(res.status, 400);
  });
});
