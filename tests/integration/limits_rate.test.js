// Ingest rate limits (docs/protocol.md, "Limits"): per app and per WebSocket connection, token
// buckets of entries. A message over budget is refused whole (`error/rate_limited` with its
// ref on WebSocket, 429 with Retry-After over HTTP) and stores nothing; more entries than the
// burst are refused as too_large; other apps and other connections are unaffected.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { as, sendLogs, history, TEST_TOML } = require('../support/client');

const entries = (tag, n) => Array.from({ length: n }, (_, i) => ({ message: `${tag} ${i}` }));

async function post(server, logs, { user = 'alice', app = 'app1' } = {}) {
  const res = await fetch(`${server.url}api/v1/logs`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${user}-token`, 'X-Smartlog-User': user, 'X-Smartlog-App': app,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(logs),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

// Per-app series are shown for the apps the caller may read: alice reads app1 and app2.
async function metrics(server) {
  const headers = { 'X-Smartlog-User': 'alice', Authorization: 'Bearer alice-token' };
  return (await fetch(`${server.url}metrics`, { headers })).text();
}

function rateLimitedOf(text, app) {
  const m = text.match(new RegExp(`^smartlog_entries_rate_limited_total\\{app="${app}"\\} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : 0;
}

// A slow refill (1 entry/s) so that nothing in these tests can refill a budget by itself.
describe('app_rate_limit 1, app_rate_burst 20', () => {
  let server;
  before(async () => {
    server = await startServer({
      toml: TEST_TOML,
      args: ['--app-rate-limit', '1', '--app-rate-burst', '20', '--batch-max-delay', '5ms', '--durability', 'memory'],
    });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('over budget, a logs message is refused whole with rate_limited and its ref; nothing is stored; another app is unaffected', async () => {
    const producer = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    const ack = await sendLogs(producer, entries('within', 18), 'r1');
    assert.equal(ack.payload.accepted, 18);

    producer.send({ type: 'logs', ref: 'r2', data: { logs: entries('over', 5) } });
    const err = await producer.next('error');
    assert.equal(err.payload.code, 'rate_limited');
    assert.equal(err.payload.ref, 'r2');
    assert.match(err.payload.message, /1 entries\/s/);
    assert.match(err.payload.message, /app_rate_limit/);
    assert.match(err.payload.message, /retry in \d+ ms/);
    assert.deepEqual(producer.take('logs_ack'), []);
    assert.ok(producer.open, 'the connection stays open');

    // Nothing of the refused message reached history or viewers.
    await viewer.entries(18);
    await viewer.sync();
    const h = await history(viewer);
    assert.equal(h.payload.filter((e) => e.message.startsWith('over')).length, 0);
    assert.equal(viewer.take('logs').flatMap((m) => m.payload).filter((e) => e.message.startsWith('over')).length, 0);

    // Another app has its own budget.
    const other = await as(server.wsUrl, 'bob', 'app2', { mode: 'producer' });
    assert.equal((await sendLogs(other, entries('other', 20), 'o1')).payload.accepted, 20);

    assert.equal(rateLimitedOf(await metrics(server), 'app1'), 5);
    assert.equal(rateLimitedOf(await metrics(server), 'app2'), 0);
    for (const c of [producer, viewer, other]) c.close();
  });

  test('more entries than the burst can never pass: too_large, naming the burst', async () => {
    // Even app2's budget being spent does not matter: the size alone decides.
    const producer = await as(server.wsUrl, 'bob', 'app2', { mode: 'producer' });
    producer.send({ type: 'logs', ref: 'big', data: { logs: entries('big', 21) } });
    const err = await producer.next('error');
    assert.equal(err.payload.code, 'too_large');
    assert.equal(err.payload.ref, 'big');
    assert.match(err.payload.message, /app_rate_burst 20/);
    assert.match(err.payload.message, /at most 20 entries per message/);
    producer.close();
  });

  test('HTTP ingest over budget answers 429 with Retry-After and stores nothing; another app is served', async () => {
    // app1's budget was spent by the first test; it refills by 1 entry/s, so within a few
    // posts of 5 entries one is refused.
    let r;
    let tag;
    for (let i = 0; i < 10; ++i) {
      tag = `http-${i}-`;
      r = await post(server, entries(tag, 5));
      if (r.status !== 200) break;
    }
    assert.equal(r.status, 429, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'rate_limited');
    assert.match(r.body.error.message, /app_rate_limit/);
    const retry = Number(r.headers.get('retry-after'));
    assert.ok(Number.isInteger(retry) && retry >= 1, `Retry-After ${r.headers.get('retry-after')}`);

    const viewer = await as(server.wsUrl, 'alice', 'app1');
    const h = await history(viewer);
    assert.equal(h.payload.filter((e) => e.message.startsWith(tag)).length, 0);
    viewer.close();

    const big = await post(server, entries('http-big', 21), { user: 'bob', app: 'app2' });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'too_large');
    assert.match(big.body.error.message, /app_rate_burst 20/);
  });
});

describe('connection_rate_limit 100, connection_rate_burst 10', () => {
  let server;
  before(async () => {
    server = await startServer({
      toml: TEST_TOML,
      args: ['--connection-rate-limit', '100', '--connection-rate-burst', '10', '--durability', 'memory'],
    });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('each connection has its own budget, and a retry after the time it was told passes', async () => {
    const a = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
    const b = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
    assert.equal((await sendLogs(a, entries('a', 10), 'a1')).payload.accepted, 10);
    a.send({ type: 'logs', ref: 'a2', data: { logs: entries('a-over', 10) } });
    const err = await a.next('error');
    assert.equal(err.payload.code, 'rate_limited');
    assert.equal(err.payload.ref, 'a2');
    assert.match(err.payload.message, /this connection/);
    assert.match(err.payload.message, /connection_rate_limit/);
    // The same app on another connection is not held back.
    assert.equal((await sendLogs(b, entries('b', 10), 'b1')).payload.accepted, 10);

    const wait = Number(err.payload.message.match(/retry in (\d+) ms/)[1]);
    assert.ok(wait > 0 && wait <= 100, `retry in ${wait} ms`);
    await new Promise((r) => setTimeout(r, wait));
    assert.equal((await sendLogs(a, entries('a-later', 10), 'a3')).payload.accepted, 10);

    // A producer's history includes the pending live batch too.
    const viewer = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
    const h = await history(viewer);
    assert.equal(h.payload.filter((e) => e.message.startsWith('a-over')).length, 0);
    assert.equal(h.payload.length, 30);
    for (const c of [a, b, viewer]) c.close();
  });
});
