// Filters on live batches and on history; filter_applied; bad filters refused with the old one
// still holding (docs/protocol.md `filter`, 3.2 `filter_applied`, 3.3 "Filters").
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { as, sendLogs, history, TEST_TOML } = require('../support/client');

let server;
before(async () => {
  server = await startServer({ toml: TEST_TOML, args: ['--history-limit', '1000'] });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
});

// Entries with known levels, timestamps and messages, sent to `appId` by alice.
const SAMPLE = [
  { level: 'info', timestamp: 1000, message: 'service started' },
  { level: 'warn', timestamp: 2000, message: 'disk almost FULL' },
  { level: 'error', timestamp: 3000, message: 'DataBase connection lost' },
  { level: 'debug', timestamp: 4000, message: 'retrying database' },
  { level: 'fatal', timestamp: 5000, message: 'giving up' },
  { level: 'audit', timestamp: 6000, message: 'user logged in' },
];

// A fresh app per test would need config; instead each test uses its own search tag.
function tagged(tag) {
  return SAMPLE.map((e) => ({ ...e, message: `${tag} ${e.message}` }));
}

async function liveWith(filters, tag, form = 'filters') {
  const viewer = await as(server.wsUrl, 'alice', 'app2');
  const applied = await viewer.request({ type: 'filter', [form]: filters }, 'filter_applied');
  const producer = await as(server.wsUrl, 'bob', 'app2', { mode: 'producer' });
  await sendLogs(producer, tagged(tag));
  // A marker that every filter given here lets through (fatal, at 3500, "database") tells when
  // the batch before it has been delivered.
  await sendLogs(producer, [{ level: 'fatal', timestamp: 3500, message: `${tag} marker database full` }]);
  const seen = [];
  while (!seen.some((e) => e.message.includes('marker'))) {
    seen.push(...(await viewer.entries(1)));
  }
  producer.close();
  return { viewer, applied, messages: seen.filter((e) => !e.message.includes('marker')).map((e) => e.message.slice(tag.length + 1)) };
}

describe('filters on live batches', () => {
  test('level: only the listed levels; aliases and case normalised', async () => {
    const { viewer, messages } = await liveWith({ level: ['ERROR', 'warning', 'fatal'] }, 'L1');
    assert.deepEqual(messages, ['disk almost FULL', 'DataBase connection lost', 'giving up']);
    viewer.close();
  });

  test('level: an unknown level is matched by its exact name', async () => {
    const { viewer, messages } = await liveWith({ level: ['audit', 'fatal'] }, 'L2');
    assert.deepEqual(messages, ['giving up', 'user logged in']);
    viewer.close();
  });

  test('level absent or empty: every level', async () => {
    for (const [i, filters] of [{ level: [] }, {}, { level: null }].entries()) {
      const { viewer, messages } = await liveWith(filters, `L3${i}`);
      assert.equal(messages.length, SAMPLE.length, JSON.stringify(filters));
      viewer.close();
    }
  });

  test('startTime and endTime are inclusive', async () => {
    let r = await liveWith({ startTime: 2000, endTime: 5000 }, 'T1');
    assert.deepEqual(r.messages, ['disk almost FULL', 'DataBase connection lost', 'retrying database', 'giving up']);
    r.viewer.close();
  });

  test('a single-instant window keeps the entry at that instant', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app2');
    await viewer.request({ type: 'filter', filters: { startTime: 3000, endTime: 3000 } }, 'filter_applied');
    const producer = await as(server.wsUrl, 'bob', 'app2', { mode: 'producer' });
    await sendLogs(producer, tagged('T3'));
    await sendLogs(producer, [{ timestamp: 3000, message: 'T3 end' }]);
    const live = await viewer.entries(2);
    assert.deepEqual(live.map((e) => e.message), ['T3 DataBase connection lost', 'T3 end']);
    viewer.close();
    producer.close();
  });

  test('search is a case-insensitive substring of the message', async () => {
    const { viewer, messages } = await liveWith({ search: 'dAtAbAsE' }, 'S1');
    assert.deepEqual(messages, ['DataBase connection lost', 'retrying database']);
    viewer.close();
  });

  test('all criteria together', async () => {
    const { viewer, messages } = await liveWith({ level: ['error', 'debug', 'info', 'fatal'], startTime: 1500, search: 'DATABASE' }, 'A1');
    assert.deepEqual(messages, ['DataBase connection lost', 'retrying database']);
    viewer.close();
  });

  test("the original web client's form `data: {...}` is accepted too", async () => {
    const { viewer, applied, messages } = await liveWith({ level: ['error', 'fatal'] }, 'D1', 'data');
    assert.deepEqual(applied.payload.filters.level, ['error', 'fatal']);
    assert.deepEqual(messages, ['DataBase connection lost', 'giving up']);
    viewer.close();
  });

  test('a new filter replaces the old one; an empty one lets everything through again', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app2');
    const producer = await as(server.wsUrl, 'bob', 'app2', { mode: 'producer' });
    await viewer.request({ type: 'filter', filters: { level: ['error'] } }, 'filter_applied');
    await viewer.request({ type: 'filter', filters: { level: ['info'] } }, 'filter_applied');
    await sendLogs(producer, [{ level: 'error', message: 'R error' }, { level: 'info', message: 'R info' }]);
    assert.deepEqual((await viewer.entries(1)).map((e) => e.message), ['R info']);
    await viewer.request({ type: 'filter', filters: {} }, 'filter_applied');
    await sendLogs(producer, [{ level: 'error', message: 'R2 error' }, { level: 'info', message: 'R2 info' }]);
    assert.deepEqual((await viewer.entries(2)).map((e) => e.message), ['R2 error', 'R2 info']);
    viewer.close();
    producer.close();
  });
});

describe('filter_applied', () => {
  test('echoes the normalised filter', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app2');
    const applied = await viewer.request({
      type: 'filter',
      filters: { level: ['WARNING', 'Err', 'warn', 'Audit'], startTime: 1000, endTime: 2000, search: 'Disk', unknown: 1 },
    }, 'filter_applied');
    const f = applied.payload.filters;
    assert.deepEqual(f.level, ['warn', 'error', 'audit']);
    assert.equal(f.startTime, 1000);
    assert.equal(f.endTime, 2000);
    assert.equal(f.search, 'Disk');
    assert.equal(f.unknown, undefined);
    viewer.close();
  });
});

describe('bad filters', () => {
  const bad = [
    { level: 'error' },
    { level: [1, 2] },
    { startTime: 'yesterday' },
    { endTime: { ms: 1 } },
    { startTime: 5000, endTime: 1000 },
    { search: 42 },
    'level=error',
    ['error'],
  ];

  test('are refused with bad_request, no filter_applied, and the old filter still holds', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app2');
    await viewer.request({ type: 'filter', filters: { level: ['error'] } }, 'filter_applied');
    for (const filters of bad) {
      const err = await viewer.request({ type: 'filter', ref: 'f', filters }, 'error');
      assert.equal(err.payload.code, 'bad_request', JSON.stringify(filters));
      assert.equal(err.payload.ref, 'f');
    }
    await viewer.sync();
    assert.deepEqual(viewer.take('filter_applied'), []);
    assert.ok(viewer.open);
    const producer = await as(server.wsUrl, 'bob', 'app2', { mode: 'producer' });
    await sendLogs(producer, [{ level: 'info', message: 'B info' }, { level: 'error', message: 'B error' }]);
    assert.deepEqual((await viewer.entries(1)).map((e) => e.message), ['B error']);
    const h = await history(viewer);
    assert.ok(h.payload.every((e) => e.level === 'error'), 'history too still uses the old filter');
    viewer.close();
    producer.close();
  });
});

describe('filters on history', () => {
  test('request_history answers only what matches the filter, oldest first', async () => {
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    const producer = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
    await sendLogs(producer, tagged('H1'));
    await viewer.entries(SAMPLE.length);  // delivered live, so in history from now on
    const cases = [
      [{ level: ['error', 'fatal'], search: 'H1 ' }, ['DataBase connection lost', 'giving up']],
      [{ startTime: 2000, endTime: 4000, search: 'H1 ' }, ['disk almost FULL', 'DataBase connection lost', 'retrying database']],
      [{ search: 'h1 DATABASE' }, ['DataBase connection lost']],
      [{ search: 'H1 ', level: ['audit'] }, ['user logged in']],
    ];
    for (const [filters, want] of cases) {
      await viewer.request({ type: 'filter', filters }, 'filter_applied');
      const h = await history(viewer);
      assert.deepEqual(h.payload.map((e) => e.message.slice(3)), want, JSON.stringify(filters));
    }
    // `limit` counts matching entries, the newest ones.
    await viewer.request({ type: 'filter', filters: { search: 'H1 ', startTime: 1000, endTime: 6000 } }, 'filter_applied');
    const h = await history(viewer, { limit: 2 });
    assert.deepEqual(h.payload.map((e) => e.message.slice(3)), ['giving up', 'user logged in']);
    viewer.close();
    producer.close();
  });
});
