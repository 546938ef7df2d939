// History ring, limit, afterId resume and gap, history meeting live exactly, clear
// (docs/protocol.md `request_history`/`clear`, 3.2 `logs` history / `cleared`, 3.3 "History",
// "Resume without gaps", "History meets live exactly", "Clear").
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { as, sendLogs, history, waitFor, TEST_TOML } = require('../support/client');

const msgs = (entries) => entries.map((e) => e.message);
const range = (from, to, prefix) => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

describe('history ring of history_limit (5)', () => {
  let server;
  before(async () => {
    server = await startServer({ toml: TEST_TOML, args: ['--history-limit', '5'] });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('keeps the last history_limit entries in arrival order, oldest first', async () => {
    const c = await as(server.wsUrl, 'alice', 'app1');
    assert.equal(c.authReply.payload.historyLimit, 5);
    await sendLogs(c, Array.from({ length: 8 }, (_, i) => ({ message: `e${i}`, timestamp: 9000 - i })));
    await c.entries(8);  // delivered live: from now on in history
    const h = await history(c);
    assert.equal(h.history, true);
    assert.ok(!h.gap);
    assert.deepEqual(msgs(h.payload), range(3, 8, 'e'));
    assert.ok(h.payload.every((e) => e.appId === 'app1'));
    c.close();
  });

  test('`history` is an alias of request_history', async () => {
    const c = await as(server.wsUrl, 'alice', 'app1');
    const h = await c.request({ type: 'history' }, (m) => m.type === 'logs' && m.history === true);
    assert.deepEqual(msgs(h.payload), range(3, 8, 'e'));
    c.close();
  });

  test('limit answers the newest entries, oldest first', async () => {
    const c = await as(server.wsUrl, 'alice', 'app1');
    assert.deepEqual(msgs((await history(c, { limit: 2 })).payload), ['e6', 'e7']);
    assert.deepEqual(msgs((await history(c, { limit: 0 })).payload), []);
    assert.deepEqual(msgs((await history(c, { limit: 100 })).payload), range(3, 8, 'e'));
    c.close();
  });

  test('afterId answers exactly the entries after that one', async () => {
    const c = await as(server.wsUrl, 'alice', 'app1');
    const all = (await history(c)).payload;
    let h = await history(c, { afterId: all[1].id });
    assert.ok(!h.gap);
    assert.deepEqual(msgs(h.payload), ['e5', 'e6', 'e7']);
    h = await history(c, { afterId: all[4].id });
    assert.ok(!h.gap);
    assert.deepEqual(h.payload, []);
    c.close();
  });

  test('afterId of an entry no longer kept: gap:true, from the oldest entry kept', async () => {
    const c = await as(server.wsUrl, 'alice', 'app1');
    const first = (await history(c)).payload[0];
    await sendLogs(c, [{ message: 'e8' }, { message: 'e9' }]);  // evicts e3 and e4
    await c.entries(2);
    let h = await history(c, { afterId: first.id });
    assert.equal(h.gap, true);
    assert.equal(h.history, true);
    assert.deepEqual(msgs(h.payload), ['e5', 'e6', 'e7', 'e8', 'e9']);
    // An id that never existed here is no better.
    h = await history(c, { afterId: '00000000-0000-7000-8000-000000000000' });
    assert.equal(h.gap, true);
    assert.deepEqual(msgs(h.payload), ['e5', 'e6', 'e7', 'e8', 'e9']);
    c.close();
  });
});

describe('resume, history meeting live, clear', () => {
  let server;
  before(async () => {
    server = await startServer({
      toml: TEST_TOML,
      args: ['--history-limit', '100000', '--batch-max-entries', '64', '--batch-max-delay', '20ms'],
    });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('a client that reconnects with the last id it saw gets exactly what it missed', async () => {
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    let viewer = await as(server.wsUrl, 'reader', 'app1');
    await sendLogs(producer, range(0, 20, 'r').map((message) => ({ message })));
    const seen = await viewer.entries(20);
    assert.deepEqual(msgs(seen), range(0, 20, 'r'));
    viewer.close();
    await viewer.closed;
    const witness = await as(server.wsUrl, 'alice', 'app1');
    await sendLogs(producer, range(20, 50, 'r').map((message) => ({ message })));
    await witness.entries(30);  // delivered: no longer pending (that case is tested below)
    witness.close();
    viewer = await as(server.wsUrl, 'reader', 'app1');
    const h = await history(viewer, { afterId: seen.at(-1).id });
    assert.ok(!h.gap);
    assert.deepEqual(msgs(h.payload), range(20, 50, 'r'));
    viewer.close();
    producer.close();
  });

  test('an entry is in the history answer or in a later live batch, never both, never neither', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app2');
    await viewer.request({ type: 'filter', filters: { search: 'flood-' } }, 'filter_applied');
    const producer = await as(server.wsUrl, 'bob', 'app2', { mode: 'producer' });
    const messages = 40;
    const perMessage = 50;
    const total = messages * perMessage;
    // Flood and ask for history half-way, while the flood goes on.
    for (let m = 0; m < messages; m++) {
      await sendLogs(producer, Array.from({ length: perMessage }, (_, i) => ({ message: `flood-${m * perMessage + i}` })));
      if (m === messages / 2) viewer.send({ type: 'request_history' });
    }
    const answer = await viewer.next((m) => m.type === 'logs' && m.history === true, 10000);
    const fromHistory = msgs(answer.payload);
    assert.ok(fromHistory.length > 0, 'the history answer holds the first half');
    // Live batches before the answer were in it already; those after it must complete it.
    const liveAfter = () => viewer.received.slice(viewer.received.indexOf(answer) + 1)
      .filter((m) => m.type === 'logs' && !m.history).flatMap((m) => msgs(m.payload));
    await sendLogs(producer, [{ message: 'flood-end' }]);
    await waitFor(() => liveAfter().includes('flood-end'), { timeoutMs: 10000, what: 'the rest of the flood' });
    assert.deepEqual([...fromHistory, ...liveAfter()], [...range(0, total, 'flood-'), 'flood-end']);
    viewer.close();
    producer.close();
  });

  test('clear empties the history and every viewer gets cleared with the count', async () => {
    const alice = await as(server.wsUrl, 'alice', 'app1');
    const reader = await as(server.wsUrl, 'reader', 'app1');
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    const bob = await as(server.wsUrl, 'bob', 'app2');
    const count = (await history(reader)).payload.length;
    await sendLogs(producer, [{ message: 'before clear' }]);
    await reader.entries(1);
    const before = Date.now();
    alice.send({ type: 'clear' });
    const [a, r] = [await alice.next('cleared'), await reader.next('cleared')];
    assert.deepEqual(a, r);
    assert.equal(a.payload.appId, 'app1');
    assert.equal(a.payload.clearedBy, 'alice');
    assert.equal(a.payload.count, count + 1);
    assert.ok(Math.abs(a.payload.timestamp - before) < 5000, `timestamp ${a.payload.timestamp}`);
    assert.deepEqual((await history(reader)).payload, []);
    // Entries after the clear are kept as usual.
    await sendLogs(producer, [{ message: 'after clear' }]);
    await reader.entries(1);
    assert.deepEqual(msgs((await history(reader)).payload), ['after clear']);
    // Another app hears nothing and keeps its history.
    await bob.sync();
    assert.deepEqual(bob.take('cleared'), []);
    assert.ok((await history(bob)).payload.length > 0);
    // A second clear counts only what came since.
    const again = await alice.request({ type: 'clear' }, 'cleared');
    assert.equal(again.payload.count, 1);
    for (const c of [alice, reader, producer, bob]) c.close();
  });
});

describe('history and a pending live batch', () => {
  let server;
  before(async () => {
    // Batches wait long, so entries are still pending when history is asked for.
    server = await startServer({ toml: TEST_TOML, args: ['--batch-max-entries', '1000', '--batch-max-delay', '400ms'] });
  });
  after(async () => { await server.stop(); });

  // Asks for history, then sends `marker`, which joins the same pending batch: once it has
  // arrived live, any duplicate of a history entry would have arrived with it.
  async function historyThenLive(viewer, producer, marker) {
    const answer = await history(viewer);
    await sendLogs(producer, [{ message: marker }]);
    const liveAfter = () => viewer.received.slice(viewer.received.indexOf(answer) + 1)
      .filter((m) => m.type === 'logs' && !m.history).flatMap((m) => msgs(m.payload));
    await waitFor(() => liveAfter().includes(marker), { timeoutMs: 5000, what: 'the pending batch' });
    await viewer.sync();
    return [...msgs(answer.payload), ...liveAfter()];
  }

  test('entries still pending are in the history answer or the next live batch, exactly once', async () => {
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    await sendLogs(producer, [{ message: 'p0' }, { message: 'p1' }]);
    await viewer.entries(2, 3000);  // delivered: now in history only
    await sendLogs(producer, [{ message: 'p2' }, { message: 'p3' }]);  // pending for 400 ms
    assert.deepEqual(await historyThenLive(viewer, producer, 'p4'), ['p0', 'p1', 'p2', 'p3', 'p4']);
    viewer.close();
    producer.close();
  });

  test('a viewer that joins while a batch is pending gets each entry exactly once', async () => {
    const producer = await as(server.wsUrl, 'bob', 'app2', { mode: 'producer' });
    await sendLogs(producer, [{ message: 'q0' }, { message: 'q1' }]);  // pending
    const viewer = await as(server.wsUrl, 'alice', 'app2');
    assert.deepEqual(await historyThenLive(viewer, producer, 'q2'), ['q0', 'q1', 'q2']);
    viewer.close();
    producer.close();
  });
});
