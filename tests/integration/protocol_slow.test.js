// Slow consumers (docs/protocol.md "Slow consumers"): a viewer that falls behind misses live batches,
// is told with `dropped {count, afterId}`, fetches exactly what it missed with request_history
// afterId, then gets live batches again; the others miss nothing; a viewer that takes nothing
// for idle_timeout is closed with 1013.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { as, sendLogs, history, waitFor, TEST_TOML } = require('../support/client');

// Floods `producer` with `messages` logs messages of `perMessage` entries of about `size` bytes.
async function flood(producer, { messages, perMessage, size, tag, first = 0 }) {
  const pad = 'f'.repeat(size);
  for (let m = 0; m < messages; m++) {
    const logs = Array.from({ length: perMessage }, (_, i) => ({ message: `${tag}-${first + m * perMessage + i} ${pad}` }));
    producer.send({ type: 'logs', data: { logs } });
  }
  for (let m = 0; m < messages; m++) await producer.next('logs_ack', 20000);
  return messages * perMessage;
}
const seq = (e) => Number(e.message.split(' ')[0].split('-')[1]);

// Walks what `viewer` received in order and checks that every entry of 0..total-1 either came
// live, in order and once, or was announced by a `dropped` whose afterId is the last entry the
// viewer was given and whose count is exactly how many it missed. Returns the dropped notices.
function checkAccounting(viewer, total) {
  let next = 0;
  let lastId = null;
  const notices = [];
  for (const m of viewer.received) {
    if (m.type === 'logs' && !m.history) {
      for (const e of m.payload) {
        if (seq(e) !== next) assert.fail(`entry ${seq(e)} arrived where ${next} was due, with no dropped notice`);
        next++;
        lastId = e.id;
      }
    } else if (m.type === 'dropped') {
      assert.ok(m.payload.count > 0, JSON.stringify(m.payload));
      assert.equal(m.payload.afterId, lastId, 'afterId is the last entry the viewer was given');
      notices.push({ ...m.payload, firstMissed: next });
      next += m.payload.count;
    }
  }
  assert.equal(next, total, 'every entry came live or was counted in a dropped notice');
  return notices;
}

describe('slow consumers (max_outbound_bytes 64KiB)', () => {
  let server;
  before(async () => {
    server = await startServer({
      toml: TEST_TOML,
      args: ['--max-outbound-bytes', '64KiB', '--history-limit', '100000', '--batch-max-entries', '16',
        '--idle-timeout', '30s'],
    });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('a viewer that falls behind gets dropped {count, afterId}; history afterId gives exactly what it missed; then live again', async () => {
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    // Sees only the flood's last entry: once it has, every batch of the flood has left.
    const observer = await as(server.wsUrl, 'alice', 'app1');
    await observer.request({ type: 'filter', filters: { search: 'slow-7999 ' } }, 'filter_applied');
    viewer.ws._socket.pause();
    // Far more than the socket buffers and the 64 KiB bound hold.
    const total = await flood(producer, { messages: 80, perMessage: 100, size: 1000, tag: 'slow' });
    assert.equal(total, 8000);
    await observer.entries(1, 20000);
    viewer.ws._socket.resume();

    // The last announcement comes once the viewer has drained everything.
    await waitFor(() => {
      const last = viewer.received.filter((m) => m.type === 'dropped').at(-1);
      return last && checkSettled(viewer, total);
    }, { timeoutMs: 20000, what: 'the viewer to catch up' });
    const notices = checkAccounting(viewer, total);
    assert.ok(notices.length > 0, 'the viewer missed entries');

    // Each notice's afterId fetches what it announced (and what followed), first and last.
    for (const n of [notices[0], notices.at(-1)]) {
      const missed = await history(viewer, { afterId: n.afterId });
      assert.ok(!missed.gap);
      assert.deepEqual(missed.payload.map(seq), Array.from({ length: total - n.firstMissed }, (_, i) => n.firstMissed + i));
    }

    // Live again, with no further notice.
    viewer.take('logs');
    viewer.take('dropped');
    const dropsBefore = viewer.received.filter((m) => m.type === 'dropped').length;
    await sendLogs(producer, [{ message: 'slow-8000 back live' }]);
    const [e] = await viewer.entries(1, 5000);
    assert.equal(e.message, 'slow-8000 back live');
    await viewer.sync();
    assert.equal(viewer.received.filter((m) => m.type === 'dropped').length, dropsBefore);
    for (const c of [viewer, producer, observer]) c.close();
  });

  test('a viewer that keeps up misses nothing while another is stuck', async () => {
    const stuck = await as(server.wsUrl, 'alice', 'app2');
    const fast = await as(server.wsUrl, 'bob', 'app2');
    const producer = await as(server.wsUrl, 'bob', 'app2', { mode: 'producer' });
    stuck.ws._socket.pause();
    // Paced so that the fast viewer never has more than 64 KiB waiting: 40 entries of 1.5 KB.
    const rounds = 100;
    const got = [];
    for (let r = 0; r < rounds; r++) {
      await flood(producer, { messages: 1, perMessage: 40, size: 1500, tag: 'both', first: r * 40 });
      got.push(...(await fast.entries(40, 10000)));
    }
    const total = rounds * 40;
    assert.deepEqual(got.map(seq), Array.from({ length: total }, (_, i) => i));
    await fast.sync();
    assert.deepEqual(fast.take('dropped'), []);
    stuck.ws._socket.resume();
    await waitFor(() => checkSettled(stuck, total), { timeoutMs: 20000, what: 'the stuck viewer to catch up' });
    checkAccounting(stuck, total);
    for (const c of [stuck, fast, producer]) c.close();
  });
});

// True once everything `viewer` received accounts for `total` entries (live or dropped).
function checkSettled(viewer, total) {
  let n = 0;
  for (const m of viewer.received) {
    if (m.type === 'logs' && !m.history) n += m.payload.length;
    else if (m.type === 'dropped') n += m.payload.count;
  }
  return n >= total;
}

describe('a viewer that takes nothing (idle_timeout 2s)', () => {
  let server;
  before(async () => {
    server = await startServer({
      toml: TEST_TOML,
      args: ['--max-outbound-bytes', '64KiB', '--history-limit', '100000', '--batch-max-entries', '16',
        '--idle-timeout', '2s'],
    });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('is closed with 1013 while the others stay', async () => {
    const stuck = await as(server.wsUrl, 'reader', 'app1');
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    const observer = await as(server.wsUrl, 'alice', 'app1');
    await observer.request({ type: 'filter', filters: { level: ['none-of-these'] } }, 'filter_applied');
    const members = async () => (await observer.request({ type: 'request_metrics' }, 'metrics')).payload.activeConnections;
    assert.equal(await members(), 3);

    stuck.ws._socket.pause();
    // The stuck viewer still speaks, so it is not merely idle: it only takes nothing.
    let pings = 0;
    const speaker = setInterval(() => { if (pings++ < 100) stuck.send({ type: 'ping' }); }, 150);
    try {
      await flood(producer, { messages: 80, perMessage: 100, size: 1000, tag: 'stuck' });
      await waitFor(async () => (await members()) === 2, { timeoutMs: 8000, everyMs: 50, what: 'the stuck viewer to be closed' });
    } finally {
      clearInterval(speaker);
      stuck.ws._socket.resume();
    }
    const { code, reason } = await stuck.waitClose(5000);
    assert.equal(code, 1013, `closed with ${code} "${reason}"`);
    assert.ok(reason.length > 0);
    await producer.sync();
    await observer.sync();
    assert.ok(producer.open && observer.open);
    for (const c of [producer, observer]) c.close();
  });
});

