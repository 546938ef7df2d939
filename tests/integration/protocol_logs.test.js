// Ingest and delivery of entries: logs_ack, per-index rejections, owners, levels, timestamps,
// ids, batching, send_metrics, and bad input that must change nothing (docs/protocol.md).
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { as, sendLogs, history, TEST_TOML } = require('../support/client');

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let server;
before(async () => {
  server = await startServer({
    toml: TEST_TOML,
    args: ['--max-message-bytes', '1KiB', '--max-metadata-bytes', '512', '--history-limit', '5000'],
  });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
});

describe('logs and logs_ack', () => {
  test('logs_ack echoes ref and counts the accepted entries; a viewer gets them live', async () => {
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    let ack = await sendLogs(producer, [{ message: 'ack one' }, { message: 'ack two' }], 'batch-1');
    assert.deepEqual(ack.payload, { ref: 'batch-1', accepted: 2, rejected: [] });
    ack = await sendLogs(producer, [{ message: 'ack three' }], 17);
    assert.equal(ack.payload.ref, 17);
    ack = await sendLogs(producer, [{ message: 'ack four' }]);
    assert.equal(ack.payload.ref, undefined);
    assert.equal(ack.payload.accepted, 1);
    ack = await sendLogs(producer, []);
    assert.deepEqual(ack.payload.rejected, []);
    assert.equal(ack.payload.accepted, 0);
    const live = await viewer.entries(4);
    assert.deepEqual(live.map((e) => e.message), ['ack one', 'ack two', 'ack three', 'ack four']);
    viewer.close();
    producer.close();
  });

  test('invalid entries are rejected by index while the valid ones are stored', async () => {
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    const logs = [
      { message: 'mixed valid 0' },
      { level: 'info' },                                   // 1: no message
      { message: 42 },                                     // 2: message not a string
      { message: 'x'.repeat(1025) },                       // 3: message > max_message_bytes (1 KiB)
      { message: 'mixed valid 4', metadata: { k: 'v' } },
      { message: 'meta', metadata: { blob: 'y'.repeat(600) } },  // 5: metadata > 512 bytes
      { message: 'lvl', level: 'l'.repeat(33) },           // 6: level longer than 32 characters
      { message: 'lvl type', level: 3 },                   // 7: level not a string
      { message: 'ts', timestamp: 'yesterday' },           // 8: bad timestamp
      { message: 'ts type', timestamp: true },             // 9: bad timestamp type
      'just a string',                                     // 10: not an object
      { message: 'mixed valid 11', level: 'l'.repeat(32) },
      { message: 'x'.repeat(1024) },                       // 12: exactly max_message_bytes
    ];
    const ack = await sendLogs(producer, logs, 'mixed');
    assert.equal(ack.payload.ref, 'mixed');
    assert.equal(ack.payload.accepted, 4);
    assert.deepEqual(ack.payload.rejected.map((r) => r.index), [1, 2, 3, 5, 6, 7, 8, 9, 10]);
    for (const r of ack.payload.rejected) {
      assert.equal(typeof r.message, 'string');
      assert.ok(r.message.length > 0);
    }
    const live = await viewer.entries(4);
    assert.deepEqual(live.map((e) => e.message.slice(0, 20)),
      ['mixed valid 0', 'mixed valid 4', 'mixed valid 11', 'x'.repeat(20)]);
    const h = await history(viewer);
    const stored = h.payload.map((e) => e.message);
    for (const bad of ['meta', 'lvl', 'lvl type', 'ts', 'ts type', 'x'.repeat(1025)]) {
      assert.ok(!stored.includes(bad), `rejected entry "${bad.slice(0, 20)}" was stored`);
    }
    viewer.close();
    producer.close();
  });

  test('a malformed logs message is refused whole with bad_request and stores nothing', async () => {
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    const producer = await as(server.wsUrl, 'writer', 'app1');
    const before = (await history(viewer)).payload.length;
    for (const msg of [
      { type: 'logs', ref: 'm1', data: { logs: { message: 'not an array' } } },
      { type: 'logs', ref: 'm2', data: [{ message: 'data is an array' }] },
      { type: 'logs', ref: 'm3' },
      { type: 'logs', ref: 'm4', logs: [{ message: 'logs at the top level' }] },
    ]) {
      const err = await producer.request(msg, 'error');
      assert.equal(err.payload.code, 'bad_request', JSON.stringify(msg));
      assert.equal(err.payload.ref, msg.ref);
    }
    await producer.sync();
    assert.deepEqual(producer.take('logs_ack'), []);
    assert.equal((await history(viewer)).payload.length, before);
    await viewer.sync();
    assert.deepEqual(viewer.take('logs'), []);
    assert.ok(producer.open);
    viewer.close();
    producer.close();
  });

  test('appId, userId and id come from the connection and the server, not from the producer', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    const producer = await as(server.wsUrl, 'writer', 'app1');
    await sendLogs(producer, [{ message: 'claims', appId: 'app2', userId: 'mallory', id: 'my-own-id' }]);
    const [e] = await viewer.entries(1);
    assert.equal(e.appId, 'app1');
    assert.equal(e.userId, 'writer');
    assert.notEqual(e.id, 'my-own-id');
    assert.match(e.id, UUID_V7);
    const bob = await as(server.wsUrl, 'bob', 'app2');
    const h = await history(bob);
    assert.ok(!h.payload.some((x) => x.message === 'claims'), 'the entry did not land in app2');
    for (const c of [viewer, producer, bob]) c.close();
  });

  test('entries carry every LogEntry field, metadata kept as sent', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    const metadata = { user: { id: 7, tags: ['a', 'b'] }, ok: true, n: null, f: 1.5 };
    await sendLogs(viewer, [
      { message: 'with metadata', level: 'warn', timestamp: 1700000000123, metadata },
      { message: 'metadata string', metadata: 'plain' },
      { message: 'metadata number', metadata: 12 },
    ]);
    const [a, b, c] = await viewer.entries(3);
    assert.deepEqual(Object.keys(a).sort(), ['appId', 'id', 'level', 'message', 'metadata', 'timestamp', 'userId']);
    assert.deepEqual(a.metadata, metadata);
    assert.equal(a.timestamp, 1700000000123);
    assert.equal(a.level, 'warn');
    assert.equal(b.metadata, 'plain');
    assert.equal(c.metadata, 12);
    viewer.close();
  });

  test('metadata is any JSON value kept as sent, null and false included', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    await sendLogs(viewer, [
      { message: 'metadata null', metadata: null },
      { message: 'metadata false', metadata: false },
      { message: 'metadata array', metadata: [1, 'two', { three: 3 }] },
      { message: 'metadata absent' },
    ]);
    const [a, b, c, d] = await viewer.entries(4);
    assert.ok('metadata' in a, 'metadata: null was dropped');
    assert.equal(a.metadata, null);
    assert.equal(b.metadata, false);
    assert.deepEqual(c.metadata, [1, 'two', { three: 3 }]);
    assert.ok(!('metadata' in d));
    viewer.close();
  });

  test('levels are lower-cased and aliases normalised; a missing level is info', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    const given = ['WARNING', 'Err', 'critical', 'CRIT', 'panic', 'Notice', undefined, 'TRACE', 'Debug', 'INFO', 'warn', 'error', 'FATAL'];
    const want = ['warn', 'error', 'fatal', 'fatal', 'fatal', 'notice', 'info', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'];
    const ack = await sendLogs(viewer, given.map((level, i) => (level === undefined ? { message: `lvl ${i}` } : { level, message: `lvl ${i}` })));
    assert.equal(ack.payload.accepted, given.length);
    const live = await viewer.entries(given.length);
    assert.deepEqual(live.map((e) => e.level), want);
    // An unknown level is kept and can be filtered by its exact name.
    await viewer.request({ type: 'filter', filters: { level: ['NOTICE'] } }, 'filter_applied');
    const h = await history(viewer);
    assert.deepEqual(h.payload.map((e) => e.message), ['lvl 5']);
    viewer.close();
  });

  test('timestamps: ms kept, ISO-8601 converted, server time when absent', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    const before = Date.now();
    await sendLogs(viewer, [
      { message: 'ts ms', timestamp: 1234567890123 },
      { message: 'ts iso', timestamp: '2024-01-02T03:04:05.678Z' },
      { message: 'ts iso offset', timestamp: '2024-01-02T05:04:05.678+02:00' },
      { message: 'ts iso seconds', timestamp: '2024-01-02T03:04:05Z' },
      { message: 'ts none' },
    ]);
    const after = Date.now();
    const live = await viewer.entries(5);
    assert.equal(live[0].timestamp, 1234567890123);
    assert.equal(live[1].timestamp, Date.parse('2024-01-02T03:04:05.678Z'));
    assert.equal(live[2].timestamp, Date.parse('2024-01-02T03:04:05.678Z'));
    assert.equal(live[3].timestamp, Date.parse('2024-01-02T03:04:05Z'));
    assert.ok(live[4].timestamp >= before && live[4].timestamp <= after, `${before} <= ${live[4].timestamp} <= ${after}`);
    for (const e of live) assert.ok(Number.isInteger(e.timestamp));
    viewer.close();
  });

  test('ids are UUIDv7, unique and increasing across messages', async () => {
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    const total = 3 * 400;
    for (let m = 0; m < 3; m++) {
      producer.send({ type: 'logs', data: { logs: Array.from({ length: 400 }, (_, i) => ({ message: `id ${m * 400 + i}` })) } });
    }
    for (let m = 0; m < 3; m++) await producer.next('logs_ack');
    const live = await viewer.entries(total);
    assert.deepEqual(live.map((e) => e.message), Array.from({ length: total }, (_, i) => `id ${i}`));
    for (const e of live) assert.match(e.id, UUID_V7);
    assert.equal(new Set(live.map((e) => e.id)).size, total);
    for (let i = 1; i < total; i++) assert.ok(live[i - 1].id < live[i].id, `id ${i} is not after id ${i - 1}`);
    // The ms in a UUIDv7 is close to the server's receive time.
    const ms = parseInt(live[0].id.replace(/-/g, '').slice(0, 12), 16);
    assert.ok(Math.abs(ms - Date.now()) < 60000, `id time ${ms}`);
    viewer.close();
    producer.close();
  });
});

describe('bad input after auth', () => {
  test('unknown types, non-object frames and wrong field types get bad_request; the connection stays', async () => {
    const c = await as(server.wsUrl, 'alice', 'app2');
    for (const msg of [
      { type: 'no_such_type', ref: 'u1' },
      [1, 2, 3],
      'just a string',
      42,
      { type: 5 },
      { notype: true },
      { type: 'request_history', limit: 'ten' },
      { type: 'request_history', limit: -1 },
      { type: 'request_history', afterId: 12 },
      { type: 'send_metrics', data: {} },
      { type: 'send_metrics', data: { metrics: 1, timestamp: 'now' } },
    ]) {
      const err = await c.request(JSON.stringify(msg), 'error');
      assert.equal(err.payload.code, 'bad_request', JSON.stringify(msg));
      assert.equal(typeof err.payload.message, 'string');
    }
    assert.ok(c.open);
    await c.sync();
    c.close();
  });

  test('fields the server does not know are ignored', async () => {
    const c = await as(server.wsUrl, 'alice', 'app2');
    const ack = await c.request({ type: 'logs', extra: { x: 1 }, data: { logs: [{ message: 'extra fields', color: 'red' }], more: 1 } }, 'logs_ack');
    assert.equal(ack.payload.accepted, 1);
    await c.request({ type: 'ping', what: 'ever' }, 'pong');
    c.close();
  });

  test('a binary frame gets bad_request and the connection stays', async () => {
    const c = await as(server.wsUrl, 'alice', 'app2');
    c.send(Buffer.from(JSON.stringify({ type: 'ping' })), { binary: true });
    const err = await c.next('error');
    assert.equal(err.payload.code, 'bad_request');
    await c.sync();
    assert.deepEqual(c.take('pong'), [], 'a binary ping is not answered');
    assert.ok(c.open);
    c.close();
  });
});

describe('send_metrics', () => {
  test('send_metrics reaches the app viewers as app_metrics, from the connection', async () => {
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    const otherApp = await as(server.wsUrl, 'bob', 'app2');
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    const metrics = { queueDepth: 12, cache: { hits: 3, misses: 1 }, labels: ['a'] };
    producer.send({ type: 'send_metrics', data: { metrics, timestamp: 1700000000000, appId: 'app2', userId: 'x' } });
    let m = await viewer.next('app_metrics');
    assert.deepEqual(m.payload, { appId: 'app1', userId: 'writer', metrics, timestamp: 1700000000000 });
    const before = Date.now();
    producer.send({ type: 'send_metrics', data: { metrics: 7 } });
    m = await viewer.next('app_metrics');
    assert.equal(m.payload.metrics, 7);
    assert.ok(Math.abs(m.payload.timestamp - before) < 5000, 'server time when no timestamp is given');
    await otherApp.sync();
    assert.deepEqual(otherApp.take('app_metrics'), []);
    for (const c of [viewer, otherApp, producer]) c.close();
  });

  test('send_metrics relays any JSON value, null included', async () => {
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    for (const metrics of ['text', [1, 2], false, null]) {
      producer.send({ type: 'send_metrics', data: { metrics } });
      await producer.sync();
      assert.deepEqual(producer.take('error'), [], `metrics ${JSON.stringify(metrics)} refused`);
      const m = await viewer.next('app_metrics');
      assert.deepEqual(m.payload.metrics, metrics);
    }
    viewer.close();
    producer.close();
  });

  test('send_metrics over max_metadata_bytes is refused with too_large', async () => {
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    const producer = await as(server.wsUrl, 'writer', 'app1');
    const err = await producer.request({ type: 'send_metrics', ref: 'big', data: { metrics: { blob: 'z'.repeat(600) } } }, 'error');
    assert.equal(err.payload.code, 'too_large');
    assert.ok(producer.open);
    await viewer.sync();
    assert.deepEqual(viewer.take('app_metrics'), []);
    viewer.close();
    producer.close();
  });
});

describe('batching', () => {
  let batched;
  before(async () => {
    batched = await startServer({ toml: TEST_TOML, args: ['--batch-max-entries', '3', '--batch-max-delay', '300ms'] });
  });
  after(async () => { await batched.stop(); });

  test('a batch holds at most batch_max_entries; order kept, none twice, none lost', async () => {
    const viewer = await as(batched.wsUrl, 'reader', 'app1');
    const producer = await as(batched.wsUrl, 'writer', 'app1', { mode: 'producer' });
    await sendLogs(producer, Array.from({ length: 10 }, (_, i) => ({ message: `b${i}` })));
    const sizes = [];
    const got = [];
    while (got.length < 10) {
      const batch = await viewer.next((m) => m.type === 'logs' && !m.history, 3000);
      sizes.push(batch.payload.length);
      got.push(...batch.payload.map((e) => e.message));
    }
    assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `b${i}`));
    assert.ok(sizes.every((n) => n >= 1 && n <= 3), `batch sizes ${sizes}`);
    assert.deepEqual(sizes.slice(0, 3), [3, 3, 3]);
    viewer.close();
    producer.close();
  });

  test('an incomplete batch leaves after batch_max_delay, not before', async () => {
    const viewer = await as(batched.wsUrl, 'reader', 'app1');
    const producer = await as(batched.wsUrl, 'writer', 'app1', { mode: 'producer' });
    const sent = Date.now();
    await sendLogs(producer, [{ message: 'lonely' }]);
    const [e] = await viewer.entries(1, 3000);
    const waited = Date.now() - sent;
    assert.equal(e.message, 'lonely');
    assert.ok(waited >= 280, `arrived after ${waited} ms, before batch_max_delay (300 ms)`);
    assert.ok(waited < 1500, `arrived after ${waited} ms`);
    viewer.close();
    producer.close();
  });
});
