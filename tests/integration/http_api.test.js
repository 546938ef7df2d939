// The HTTP API (README, "HTTP API"): ingest, query and clear on /api/v1/logs, /readyz, /metrics, with good
// and bad input: bad JSON, bad token, wrong app, oversized body, wrong method, slow requests.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const { startServer } = require('../support/server');
const { as, sendLogs, TEST_TOML } = require('../support/client');

let server;
before(async () => {
  server = await startServer({
    toml: TEST_TOML,
    args: ['--max-body-bytes', '64KiB', '--request-timeout', '500ms', '--batch-max-delay', '5ms'],
  });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
});

const headers = (user, app = 'app1', extra = {}) => ({
  Authorization: `Bearer ${user}-token`, 'X-Smartlog-User': user, 'X-Smartlog-App': app, ...extra,
});

async function post(body, { user = 'alice', app = 'app1', type = 'application/json', extra = {} } = {}) {
  const res = await fetch(`${server.url}api/v1/logs`, {
    method: 'POST',
    headers: headers(user, app, { 'Content-Type': type, ...extra }),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), res };
}

async function get(params, user = 'alice') {
  const res = await fetch(`${server.url}api/v1/logs?${new URLSearchParams(params)}`, { headers: headers(user) });
  return { status: res.status, body: await res.json() };
}

function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error.code, code, JSON.stringify(r.body));
  assert.equal(typeof r.body.error.message, 'string');
}

describe('POST /api/v1/logs', () => {
  test('a JSON array is ingested, answered like logs_ack, and reaches viewers live', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app2');
    const r = await post([{ message: 'one', level: 'WARNING' }, { level: 'info' }, { message: 'two', metadata: { k: 1 } }],
      { app: 'app2' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { accepted: 2, rejected: [{ index: 1, message: 'message is required and must be a string' }] });
    const live = await viewer.entries(2);
    assert.deepEqual(live.map((e) => [e.message, e.level, e.appId, e.userId]),
      [['one', 'warn', 'app2', 'alice'], ['two', 'info', 'app2', 'alice']]);
    assert.deepEqual(live[1].metadata, { k: 1 });
    viewer.close();
  });

  test('{logs: [...]} and NDJSON bodies are accepted too', async () => {
    let r = await post({ logs: [{ message: 'wrapped' }] });
    assert.deepEqual(r.body, { accepted: 1, rejected: [] });
    r = await post('{"message":"nd one"}\n\nnot json\n{"message":"nd two","timestamp":"2024-01-02T03:04:05Z"}\n',
      { type: 'application/x-ndjson' });
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 2);
    assert.equal(r.body.rejected.length, 1);
    assert.equal(r.body.rejected[0].index, 1);
    assert.match(r.body.rejected[0].message, /not valid JSON/);
    const q = await get({ app: 'app1', q: 'nd two' });
    assert.equal(q.body.logs[0].timestamp, Date.parse('2024-01-02T03:04:05Z'));
  });

  test('bad JSON and bodies of the wrong shape are 400', async () => {
    assertError(await post('[{"message":'), 400, 'bad_json');
    assertError(await post({ message: 'not in an array' }), 400, 'bad_request');
    assertError(await post('"text"'), 400, 'bad_request');
  });

  test('credentials: bad token and unknown user 401, no access and no permission 403', async () => {
    let r = await post([{ message: 'x' }], { extra: { Authorization: 'Bearer wrong' } });
    assertError(r, 401, 'invalid_credentials');
    assert.equal(r.res.headers.get('www-authenticate'), 'Bearer');
    assertError(await post([{ message: 'x' }], { user: 'nobody' }), 401, 'invalid_credentials');
    assertError(await post([{ message: 'x' }], { extra: { Authorization: 'Basic abc' } }), 401, 'unauthenticated');
    const res = await fetch(`${server.url}api/v1/logs`, { method: 'POST', body: '[]', headers: { 'X-Smartlog-App': 'app1' } });
    assertError({ status: res.status, body: await res.json() }, 401, 'unauthenticated');
    assertError(await post([{ message: 'x' }], { user: 'bob', app: 'app1' }), 403, 'no_access');
    assertError(await post([{ message: 'x' }], { app: 'dormant' }), 403, 'app_inactive');
    assertError(await post([{ message: 'x' }], { user: 'reader' }), 403, 'forbidden');
    assertError(await post([{ message: 'x' }], { app: '' }), 400, 'bad_request');
  });

  test('a body over max_body_bytes is 413', async () => {
    const big = JSON.stringify([{ message: 'x'.repeat(100 * 1024) }]);
    assertError(await post(big), 413, 'too_large');
    // The server is still fine afterwards.
    assert.equal((await post([{ message: 'after big' }])).status, 200);
  });
});

describe('GET /api/v1/logs', () => {
  test('newest first, limit and paging with before', async () => {
    const producer = await as(server.wsUrl, 'bob', 'app2', { mode: 'producer' });
    const logs = Array.from({ length: 25 }, (_, i) => ({ message: `page ${i}`, level: i % 5 === 0 ? 'error' : 'info', timestamp: 1000 + i }));
    await sendLogs(producer, logs);
    producer.close();
    const seen = [];
    let before;
    for (;;) {
      const params = { app: 'app2', q: 'page', limit: '10' };
      if (before) params.before = before;
      const r = await fetch(`${server.url}api/v1/logs?${new URLSearchParams(params)}`, { headers: headers('bob', 'app2') });
      assert.equal(r.status, 200);
      const page = await r.json();
      seen.push(...page.logs.map((e) => e.message));
      if (!page.nextBefore) break;
      before = page.nextBefore;
    }
    assert.deepEqual(seen, logs.map((l) => l.message).reverse());

    const h = headers('bob', 'app2');
    let r = await (await fetch(`${server.url}api/v1/logs?app=app2&level=ERROR,fatal`, { headers: h })).json();
    assert.deepEqual(r.logs.map((e) => e.message), ['page 20', 'page 15', 'page 10', 'page 5', 'page 0']);
    r = await (await fetch(`${server.url}api/v1/logs?app=app2&start=1003&end=1005`, { headers: h })).json();
    assert.deepEqual(r.logs.map((e) => e.message), ['page 5', 'page 4', 'page 3']);
    r = await (await fetch(`${server.url}api/v1/logs?app=app2&q=PAGE%202&limit=3`, { headers: h })).json();
    assert.deepEqual(r.logs.map((e) => e.message), ['page 24', 'page 23', 'page 22']);
    assert.equal(typeof r.nextBefore, 'string');
  });

  test('bad parameters are 400; permissions are checked', async () => {
    assertError(await get({ app: 'app1', limit: '0' }), 400, 'bad_request');
    assertError(await get({ app: 'app1', limit: '1001' }), 400, 'bad_request');
    assertError(await get({ app: 'app1', limit: 'ten' }), 400, 'bad_request');
    assertError(await get({ app: 'app1', start: '5', end: '4' }), 400, 'bad_request');
    assertError(await get({ app: 'app1', start: 'yesterday' }), 400, 'bad_request');
    // 1 or 2 characters: no index serves them (docs/storage.md, "Queries").
    assertError(await get({ app: 'app1', q: 'ab' }), 400, 'bad_request');
    assertError(await get({ app: 'app1', q: 'é' }), 400, 'bad_request');
    assert.equal((await get({ app: 'app1' }, 'reader')).status, 200);
    assertError(await get({ app: 'app1' }, 'writer'), 403, 'forbidden');
    assertError(await get({ app: 'app2' }, 'reader'), 403, 'no_access');
    const res = await fetch(`${server.url}api/v1/logs?app=app1`);
    assert.equal(res.status, 401);
  });
});

describe('DELETE /api/v1/logs', () => {
  test('needs the clear permission, empties the app and tells its viewers', async () => {
    await post([{ message: 'to clear' }]);
    const del = (user) => fetch(`${server.url}api/v1/logs?app=app1`, { method: 'DELETE', headers: headers(user) });
    let res = await del('writer');
    assert.equal(res.status, 403);
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    res = await del('alice');
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.appId, 'app1');
    assert.ok(body.cleared >= 1);
    const note = await viewer.next('cleared');
    assert.equal(note.payload.clearedBy, 'alice');
    assert.deepEqual((await get({ app: 'app1' })).body, { logs: [], nextBefore: null });
    viewer.close();
  });
});

describe('other routes', () => {
  test('wrong methods are 405 with Allow; unknown routes 404', async () => {
    let res = await fetch(`${server.url}api/v1/logs`, { method: 'PUT', body: '[]' });
    assert.equal(res.status, 405);
    assert.equal((await res.json()).error.code, 'method_not_allowed');
    assert.match(res.headers.get('allow'), /POST/);
    res = await fetch(`${server.url}metrics`, { method: 'POST', body: '' });
    assert.equal(res.status, 405);
    res = await fetch(`${server.url}api/v1/nothing`, { method: 'POST', body: '' });
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.code, 'not_found');
  });

  test('/readyz and /healthz', async () => {
    let res = await fetch(`${server.url}readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ready' });
    res = await fetch(`${server.url}healthz`);
    assert.equal(res.status, 200);
  });

  test('/metrics is valid Prometheus text with per-app counters', async () => {
    await post([{ message: 'counted' }, { nope: true }]);
    // Per-app series are shown for the apps the caller may read (limits_clients.test.js).
    const res = await fetch(`${server.url}metrics`, { headers: headers('alice') });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    // Every line is a comment or `name{labels} value`, and every sample's family is typed.
    const typed = new Set();
    for (const line of text.trimEnd().split('\n')) {
      if (line.startsWith('# TYPE ')) { typed.add(line.split(' ')[2]); continue; }
      if (line.startsWith('# HELP ')) continue;
      const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (-?[0-9.e+-]+|\+Inf|NaN)$/);
      assert.ok(m, `not a sample line: ${line}`);
      const family = m[1].replace(/_(bucket|sum|count)$/, '');
      assert.ok(typed.has(m[1]) || typed.has(family), `untyped sample: ${line}`);
    }
    const value = (re) => Number(text.match(re)?.[1]);
    assert.ok(value(/^smartlog_entries_ingested_total\{app="app1"\} (\d+)$/m) >= 1);
    assert.ok(value(/^smartlog_entries_rejected_total\{app="app1"\} (\d+)$/m) >= 1);
    assert.ok(value(/^smartlog_connections (\d+)$/m) >= 1);
    assert.ok(value(/^smartlog_storage_commit_seconds_count (\d+)$/m) >= 1);
    assert.ok(value(/^process_resident_memory_bytes (\d+)$/m) > 0);
    if (fs.existsSync('/usr/bin/promtool')) {
      // promtool reads the exposition from stdin; lint problems fail it with a message.
      execFileSync('/usr/bin/promtool', ['check', 'metrics'], { input: text });
    }
  });

  test('a half-sent request is cut at request_timeout', async () => {
    const started = Date.now();
    const closed = await new Promise((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write('POST /api/v1/logs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[{"mess');
      });
      socket.on('close', () => resolve(Date.now() - started));
      socket.on('error', () => {});
      setTimeout(() => reject(new Error('not closed within 3 s')), 3000).unref();
    });
    assert.ok(closed >= 400 && closed < 3000, `closed after ${closed} ms`);
  });
});

describe('durability=memory', () => {
  test('the query reads the in-memory history', async () => {
    const mem = await startServer({ toml: TEST_TOML, args: ['--durability', 'memory'] });
    try {
      const res = await fetch(`${mem.url}api/v1/logs`, {
        method: 'POST', headers: headers('alice'), body: JSON.stringify([{ message: 'a1' }, { message: 'b2', level: 'error' }]),
      });
      assert.equal(res.status, 200);
      const q = await (await fetch(`${mem.url}api/v1/logs?app=app1&level=error`, { headers: headers('alice') })).json();
      assert.deepEqual(q.logs.map((e) => e.message), ['b2']);
      const page = await (await fetch(`${mem.url}api/v1/logs?app=app1&limit=1`, { headers: headers('alice') })).json();
      assert.deepEqual(page.logs.map((e) => e.message), ['b2']);
      const next = await (await fetch(`${mem.url}api/v1/logs?app=app1&before=${page.nextBefore}`, { headers: headers('alice') })).json();
      assert.deepEqual(next.logs.map((e) => e.message), ['a1']);
    } finally {
      await mem.stop();
    }
  });
});
