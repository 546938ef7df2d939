// Cluster mode when things fail (docs/cluster.md, "Failures"): a node killed under load, Redis
// killed and restarted with its data or from an older snapshot or empty, a node stalled past
// Redis' output-buffer limit, a node cut off from Redis for three seconds. Each test accounts
// for every entry: what was acknowledged is delivered once, in one order on every node, and
// what a viewer did not get live it gets by afterId or is told about (`dropped`, `cleared`).
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('../support/server');
const { clientPool, readyz, waitReady, stopAll } = require('../support/cluster');
const { startRedis, redisInstalled, redisCommand } = require('../support/redis');
const { as, history, waitFor, TEST_TOML } = require('../support/client');

const skip = redisInstalled() ? false : 'redis-server is not installed';
const PASSWORD = 'cluster-failures-password';

const ids = (entries) => entries.map((e) => e.id);
// The last 8 hex digits of a cluster id: the tag of (app, epoch) (core/cluster_id.hpp).
const epochTag = (id) => id.slice(-8);

// The live entries a client received so far (history answers left out), in order.
const liveEntries = (client, from = 0) => client.received.slice(from)
  .filter((m) => m.type === 'logs' && !m.history).flatMap((m) => m.payload);

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Sends `logs` until a node acknowledges them. `producer()` gives the client to use (it may
// connect anew after a node died); an `unavailable` error or a lost connection means retry, the
// same batch, a moment later. Resolves with the number of attempts.
async function sendUntilAcked(producer, logs, { timeoutMs = 20000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const p = await producer();
    const ref = `r${attempt}-${logs[0].message}`;
    try {
      const reply = await p.request({ type: 'logs', data: { logs }, ref },
        (m) => (m.type === 'logs_ack' || m.type === 'error') && (m.payload || {}).ref === ref, 10000);
      if (reply.type === 'logs_ack') {
        assert.equal(reply.payload.accepted, logs.length, JSON.stringify(reply));
        return attempt;
      }
      assert.equal(reply.payload.code, 'unavailable', JSON.stringify(reply));
    } catch (e) {
      if (p.open) throw e;  // not a lost connection
    }
    if (Date.now() > deadline) throw new Error(`${logs[0].message}: not acknowledged within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));  // pacing between attempts, not a wait for state
  }
}

const batchOf = (prefix, n, size = 0) => Array.from({ length: n }, (_, i) => ({
  message: `${prefix}-${i}${size ? ` ${'x'.repeat(size)}` : ''}`,
}));

// The names of the clients connected to Redis (CLIENT LIST).
async function redisClients(redis) {
  const list = await redisCommand(redis.port, ['CLIENT', 'LIST'], redis.password);
  return list.split('\n').map((l) => (l.match(/ name=(\S*)/) || [])[1]).filter(Boolean);
}

// A loopback TCP proxy that can stop forwarding without closing anything (a network blackhole):
// while it is cut, bytes in both directions are held; a side that closes meanwhile takes the
// other down and its held bytes are dropped (what a peer that gave up and reset its connection
// would cause), and on repair held bytes go on.
async function startProxy(targetPort) {
  const pairs = new Set();
  let cut = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, held: [], dead: false };
    pairs.add(pair);
    const kill = () => {
      if (pair.dead) return;
      pair.dead = true;
      pair.held = [];
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    const forward = (from, to) => {
      from.on('data', (chunk) => {
        if (cut) pair.held.push({ to, chunk });
        else to.write(chunk);
      });
      from.on('close', kill);
      from.on('error', kill);
    };
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    cut() { cut = true; },
    repair() {
      cut = false;
      for (const pair of pairs) {
        for (const { to, chunk } of pair.held.splice(0)) to.write(chunk);
      }
    },
    async close() {
      for (const pair of pairs) { pair.client.destroy(); pair.upstream.destroy(); }
      await new Promise((r) => server.close(r));
    },
  };
}

describe('cluster failures: a node killed under load', { skip, timeout: 120000 }, () => {
  let redis;
  const nodes = [];
  const { clients, connect } = clientPool();

  before(async () => {
    redis = await startRedis({ password: PASSWORD });
    for (const name of ['A', 'B', 'C']) {
      nodes.push(await startServer({
        toml: TEST_TOML,
        args: ['--cluster-redis', redis.url, '--node-id', name, '--durability', 'memory',
          '--history-limit', '2000'],
      }));
    }
    for (const node of nodes) await waitReady(node, 200);
  });

  after(async () => {
    await stopAll(nodes, clients);
    if (redis) await redis.stop();
  });

  test('kill -9 of a node: its viewers resume elsewhere exactly, its producers retry', async () => {
    const [A, B, C] = nodes;
    const reference = await connect(A, 'alice', 'app1');
    await history(reference);
    const onB = await connect(B, 'alice', 'app1');
    await history(onB);
    let pB = await connect(B, 'alice', 'app1', { mode: 'producer' });
    const pA = await connect(A, 'alice', 'app1', { mode: 'producer' });
    // B's producer moves to C once B is gone, and sends again what was not acknowledged.
    const producerB = async () => {
      if (!pB.open) pB = await connect(C, 'alice', 'app1', { mode: 'producer' });
      return pB;
    };
    const sent = [];
    const retried = new Set();  // messages of batches sent more than once
    let killed = false;
    const load = async (name, producer, batches, onAck) => {
      for (let i = 0; i < batches; i++) {
        const logs = batchOf(`${name}-${i}`, 5);
        const attempts = await sendUntilAcked(producer, logs);
        if (attempts > 1) for (const l of logs) retried.add(l.message);
        sent.push(...logs.map((l) => l.message));
        if (onAck) onAck(i);
      }
    };
    const loads = Promise.all([
      load('a', async () => pA, 40),
      load('b', producerB, 40, (i) => {
        // Under load: B dies while its producer and A's keep sending.
        if (i === 10 && !killed) { killed = true; B.proc.kill('SIGKILL'); }
      }),
    ]);

    // The viewer of B comes back on C from the last entry it got, while the load goes on.
    await onB.closed;
    const seenOnB = liveEntries(onB);
    assert.ok(seenOnB.length > 0, 'B delivered some before it died');
    const back = await connect(C, 'alice', 'app1');
    const missed = await history(back, { afterId: seenOnB[seenOnB.length - 1].id });
    assert.ok(!missed.gap, 'nothing lost');
    await loads;
    assert.equal((await B.exited).signal, 'SIGKILL');

    // Every entry acknowledged is there, once; only a batch sent again after B died may be
    // there twice (a producer's ref is not remembered: docs/cluster.md).
    const expected = new Set(sent);
    await waitFor(() => {
      const got = new Set(liveEntries(reference).map((e) => e.message));
      return [...expected].every((m) => got.has(m));
    }, { timeoutMs: 15000, what: 'every acknowledged entry on A' });
    await reference.sync();
    const all = liveEntries(reference);
    assert.equal(new Set(ids(all)).size, all.length, 'no id twice');
    assert.deepEqual([...ids(all)].sort(), ids(all), 'ids grow in delivery order');
    const counts = new Map();
    for (const e of all) counts.set(e.message, (counts.get(e.message) || 0) + 1);
    for (const [message, n] of counts) {
      assert.ok(expected.has(message), `${message} was sent`);
      if (n > 1) assert.ok(retried.has(message), `${message} twice but sent once`);
    }

    // The viewer's entries: from B, then the answer on C, then live on C: exactly A's.
    const answerAt = back.received.indexOf(missed);
    const answered = new Set(ids(missed.payload));
    for (const e of liveEntries({ received: back.received.slice(0, answerAt) })) {
      assert.ok(answered.has(e.id), 'live before the answer is in it');
    }
    await waitFor(() => seenOnB.length + missed.payload.length + liveEntries(back, answerAt + 1).length >= all.length,
      { timeoutMs: 10000, what: 'the rest live on C' });
    await back.sync();
    assert.deepEqual([...ids(seenOnB), ...ids(missed.payload), ...ids(liveEntries(back, answerAt + 1))], ids(all),
      'no duplicate, no hole');
    // And the history of the nodes still up is the same.
    for (const node of [A, C]) {
      const v = await connect(node, 'alice', 'app1');
      assert.deepEqual(ids((await history(v)).payload), ids(all));
    }
  });
});

describe('cluster failures: Redis killed and restarted', { skip, timeout: 180000 }, () => {
  let redis;
  let dir;
  const nodes = [];
  const { clients, connect } = clientPool();
  const SYSLOG_TOML = `${TEST_TOML}
[[syslog]]
listen = "127.0.0.1:0"
protocol = "tcp"
app = "app2"
user = "bob"
`;
  let syslogPort;

  before(async () => {
    dir = tempDir('smartlog-redis-');
    redis = await startRedis({ password: PASSWORD, dir, persist: 'aof' });
    for (const name of ['A', 'B']) {
      nodes.push(await startServer({
        toml: name === 'A' ? SYSLOG_TOML : TEST_TOML,
        args: ['--cluster-redis', redis.url, '--node-id', name, '--durability', 'memory',
          '--history-limit', '1000'],
      }));
    }
    for (const node of nodes) await waitReady(node, 200);
    syslogPort = Number(nodes[0].output().match(/syslog \(tcp\) listening on 127\.0\.0\.1:(\d+)/)[1]);
  });

  after(async () => {
    await stopAll(nodes, clients);
    if (redis) await redis.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('kill -9 and back with its data: ids go on, a resume is exact, syslog retried', async () => {
    const [A, B] = nodes;
    const onA = await connect(A, 'alice', 'app1');
    const onB = await connect(B, 'alice', 'app1');
    const away = await connect(B, 'alice', 'app1');
    const syslogViewer = await connect(B, 'bob', 'app2');
    for (const v of [onA, onB, away, syslogViewer]) await history(v);
    const producer = await connect(A, 'alice', 'app1', { mode: 'producer' });
    const sent = [];
    const send = async (name) => {
      const logs = batchOf(name, 3);
      await sendUntilAcked(async () => producer, logs);
      sent.push(...logs.map((l) => l.message));
    };
    for (let i = 0; i < 10; i++) await send(`before-${i}`);
    const seenAway = await away.entries(30);
    away.close();

    // Between two acknowledged batches: nothing is in flight when Redis dies.
    await redis.stop('SIGKILL');
    for (const node of nodes) await waitReady(node, 503);
    const refused = await producer.request({ type: 'logs', data: { logs: [{ message: 'refused' }] }, ref: 'x' },
      (m) => m.type === 'error' || m.type === 'logs_ack');
    assert.equal(refused.type, 'error');
    assert.equal(refused.payload.code, 'unavailable');
    // A syslog line that arrives meanwhile waits for Redis instead of being dropped.
    const sys = net.connect(syslogPort, '127.0.0.1');
    await new Promise((r) => sys.once('connect', r));
    sys.write('<13>Dec  5 12:00:00 host app: syslog-while-redis-down\n');
    const retrying = send('during');  // retried until Redis is back

    redis = await startRedis({ port: redis.port, password: PASSWORD, dir, persist: 'aof' });
    for (const node of nodes) await waitReady(node, 200);
    await retrying;
    for (let i = 0; i < 10; i++) await send(`after-${i}`);

    const [a, b] = await Promise.all([onA.entries(sent.length, 15000), onB.entries(sent.length, 15000)]);
    assert.deepEqual(a.map((e) => e.message), sent, 'every acknowledged entry once, in order; not the refused one');
    assert.deepEqual(ids(b), ids(a), 'the same ids on both nodes');
    assert.deepEqual([...ids(a)].sort(), ids(a));
    assert.equal(new Set(ids(a).map(epochTag)).size, 1, 'one epoch: Redis lost nothing');
    await onA.sync();
    assert.deepEqual(onA.take('cleared'), [], 'no notice: nothing was lost');

    // The viewer that left before the kill resumes on A by afterId: exactly what it missed.
    const back = await connect(A, 'alice', 'app1');
    const missed = await history(back, { afterId: seenAway[seenAway.length - 1].id });
    assert.ok(!missed.gap, 'the id from before the restart is still known');
    assert.deepEqual([...ids(seenAway), ...ids(missed.payload)], ids(a));

    const [line] = await syslogViewer.entries(1, 15000);
    assert.match(line.message, /syslog-while-redis-down/);
    sys.destroy();
    await syslogViewer.sync();
    assert.deepEqual(syslogViewer.take('logs'), [], 'the syslog line once');
  });

  test('back from an older snapshot (acknowledged entries lost): a new epoch, viewers told', async () => {
    const [A, B] = nodes;
    // This Redis keeps only the snapshot taken below.
    await redis.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    redis = await startRedis({ port: redis.port, password: PASSWORD, dir, persist: 'rdb' });
    for (const node of nodes) await waitReady(node, 200);
    // An app no node followed before: no notice of the restarts above is still on its way.
    const viewers = [await connect(A, 'user123', 'app456'), await connect(B, 'user123', 'app456')];
    for (const v of viewers) await history(v);
    const producer = await connect(B, 'user123', 'app456', { mode: 'producer' });
    for (let i = 0; i < 5; i++) await sendUntilAcked(async () => producer, batchOf(`kept-${i}`, 4));
    assert.equal(await redisCommand(redis.port, ['SAVE'], PASSWORD), 'OK');
    for (let i = 0; i < 5; i++) await sendUntilAcked(async () => producer, batchOf(`lost-${i}`, 4));
    const [got] = await Promise.all(viewers.map((v) => v.entries(40, 10000)));
    const topBefore = Number(await redisCommand(redis.port, ['HGET', 'smartlog:{app456}:meta', 'top'], PASSWORD));
    const epochBefore = await redisCommand(redis.port, ['HGET', 'smartlog:{app456}:meta', 'epoch'], PASSWORD);

    await redis.stop('SIGKILL');
    for (const node of nodes) await waitReady(node, 503);
    redis = await startRedis({ port: redis.port, password: PASSWORD, dir, persist: 'rdb' });
    for (const node of nodes) await waitReady(node, 200);

    for (const v of viewers) {
      const notice = await v.next('cleared', 15000);
      assert.equal(notice.payload.appId, 'app456');
      assert.equal(notice.payload.clearedBy, '', 'cleared by no user: Redis lost entries');
    }
    const epochAfter = await redisCommand(redis.port, ['HGET', 'smartlog:{app456}:meta', 'epoch'], PASSWORD);
    assert.notEqual(epochAfter, epochBefore);
    assert.ok(Number(await redisCommand(redis.port, ['HGET', 'smartlog:{app456}:meta', 'top'], PASSWORD)) >= topBefore,
      'offsets do not go back');
    for (const old of [got[5].id, got[got.length - 1].id]) {
      const h = await history(viewers[0], { afterId: old });
      assert.equal(h.gap, true, 'an id of the epoch Redis lost');
      assert.deepEqual(h.payload, []);
    }
    await sendUntilAcked(async () => producer, [{ message: 'new-epoch' }]);
    const [x, y] = await Promise.all(viewers.map((v) => v.entries(1, 10000)));
    assert.equal(x[0].message, 'new-epoch');
    assert.equal(x[0].id, y[0].id);
    assert.notEqual(epochTag(x[0].id), epochTag(got[0].id));
    for (const v of viewers) {
      const h = await history(v, { afterId: got[got.length - 1].id });
      assert.equal(h.gap, true);
      assert.deepEqual(h.payload.map((e) => e.message), ['new-epoch']);
      await v.sync();
      assert.deepEqual(v.take('cleared'), [], 'told once');
    }
    assert.match(A.output() + B.output(), /lost entries in Redis/);
  });

  test('back empty: a new epoch, viewers told', async () => {
    const [A, B] = nodes;
    const viewers = [await connect(A, 'user123', 'app456'), await connect(B, 'user123', 'app456')];
    const before = await Promise.all(viewers.map(async (v) => (await history(v)).payload));
    assert.ok(before[0].length > 0);
    await redis.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    for (const node of nodes) await waitReady(node, 503);
    redis = await startRedis({ port: redis.port, password: PASSWORD, dir, persist: 'rdb' });
    for (const node of nodes) await waitReady(node, 200);
    for (const v of viewers) {
      const notice = await v.next('cleared', 15000);
      assert.equal(notice.payload.clearedBy, '');
      assert.equal(notice.payload.count, before[0].length);
      const h = await history(v, { afterId: before[0][before[0].length - 1].id });
      assert.equal(h.gap, true);
      assert.deepEqual(h.payload, []);
    }
  });
});

describe('cluster failures: a node stalled past Redis\' output-buffer limit', { skip, timeout: 180000 }, () => {
  let redis;
  const nodes = [];
  const { clients, connect } = clientPool();
  const HISTORY = 1000;  // the stream keeps HISTORY + 500 entries

  before(async () => {
    redis = await startRedis({ password: PASSWORD });
    // A small pubsub buffer: a stalled subscriber is cut early (once the kernel's socket buffers,
    // about 4 MB on loopback, are full; a single message over the limit would cut any
    // subscriber at once). Small stream nodes: trimming (MINID ~) then follows offsets closely.
    assert.equal(await redisCommand(redis.port, ['CONFIG', 'SET', 'client-output-buffer-limit',
      'pubsub 256kb 0 0'], PASSWORD), 'OK');
    assert.equal(await redisCommand(redis.port, ['CONFIG', 'SET', 'stream-node-max-entries', '4'],
      PASSWORD), 'OK');
    for (const name of ['A', 'B']) {
      nodes.push(await startServer({
        toml: TEST_TOML,
        // Room for what a stalled node delivers at once when it goes on (about 4 MB).
        args: ['--cluster-redis', redis.url, '--node-id', name, '--durability', 'memory',
          '--history-limit', String(HISTORY), '--max-outbound-bytes', '64MiB'],
      }));
    }
    for (const node of nodes) await waitReady(node, 200);
  });

  after(async () => {
    await stopAll(nodes, clients);
    if (redis) await redis.stop();
  });

  // Stops B, writes through A until Redis has cut B's bus connection (then `extra` more), and
  // lets B go on. Resolves with the number of entries written.
  const stall = async (producer, prefix, extra) => {
    const [, B] = nodes;
    B.proc.kill('SIGSTOP');
    let n = 0;
    try {
      for (let i = 0; ; i++) {
        assert.ok(i < 180, 'Redis never cut the stalled node\'s bus connection');
        await sendUntilAcked(async () => producer, batchOf(`${prefix}-${i}`, 5, 10000));
        n += 5;
        if (!(await redisClients(redis)).includes('smartlog:B:bus')) break;
      }
      for (let i = 0; i * 10 < extra; i++) {
        await sendUntilAcked(async () => producer, batchOf(`${prefix}-more-${i}`, 10));
        n += 10;
      }
    } finally {
      B.proc.kill('SIGCONT');
    }
    return n;
  };

  test('cut off while stopped, the stream still holds it all: repaired, in order', async () => {
    const [A, B] = nodes;
    const onA = await connect(A, 'alice', 'app1');
    const onB = await connect(B, 'alice', 'app1');
    for (const v of [onA, onB]) await history(v);
    const producer = await connect(A, 'alice', 'app1', { mode: 'producer' });
    const n = await stall(producer, 'stall', 0);
    assert.ok(n < HISTORY, `${n} entries: more than the stream keeps`);
    const [a, b] = await Promise.all([onA.entries(n, 15000), onB.entries(n, 30000)]);
    assert.deepEqual(ids(b), ids(a), 'B got every entry, in the same order');
    await waitReady(B, 200);
    await onB.sync();
    assert.deepEqual(onB.take('dropped'), []);
    assert.deepEqual(onB.take('logs'), []);
    assert.match(B.output(), /redis bus .*reconnecting/);
    assert.doesNotMatch(A.output(), /redis bus .*reconnecting/, 'A, not stalled, kept its connection');
  });

  test('stopped until its entries were trimmed: `dropped`, then the rest in order', async () => {
    const [A, B] = nodes;
    const onA = await connect(A, 'bob', 'app2');
    const onB = await connect(B, 'bob', 'app2');
    for (const v of [onA, onB]) await history(v);
    const producer = await connect(A, 'bob', 'app2', { mode: 'producer' });
    await sendUntilAcked(async () => producer, batchOf('first', 3));
    await Promise.all([onA.entries(3), onB.entries(3)]);
    const n = 3 + await stall(producer, 'trim', 2 * HISTORY);
    await waitFor(() => liveEntries(onA).length >= n, { timeoutMs: 15000, what: 'every entry on A' });
    const reference = liveEntries(onA);
    assert.equal(reference.length, n);
    const dropped = await onB.next('dropped', 30000);
    // What B's viewer got: up to `afterId` live, then `count` missing, then the rest exactly.
    const at = onB.received.indexOf(dropped);
    const before = liveEntries({ received: onB.received.slice(0, at) });
    await waitFor(() => before.length + dropped.payload.count + liveEntries(onB, at + 1).length >= n,
      { timeoutMs: 15000, what: 'the rest on B' });
    await waitReady(B, 200);
    await onB.sync();
    const afterwards = liveEntries(onB, at + 1);
    assert.equal(dropped.payload.afterId, before[before.length - 1].id);
    const cut = ids(reference).indexOf(dropped.payload.afterId);
    assert.deepEqual(ids(before), ids(reference).slice(0, cut + 1));
    assert.ok(dropped.payload.count > 0);
    assert.deepEqual(ids(afterwards), ids(reference).slice(cut + 1 + dropped.payload.count),
      'after the notice, every entry Redis still kept, in order');
    assert.equal(before.length + dropped.payload.count + afterwards.length, reference.length,
      'every entry accounted for');
    assert.equal(onB.received.filter((m) => m.type === 'dropped').length, 1);
    // Its history agrees with A's for what it holds.
    const h = await history(onB);
    assert.deepEqual(ids(h.payload), ids(reference).slice(-h.payload.length));
  });
});

describe('cluster failures: a node cut off from Redis for three seconds', { skip, timeout: 120000 }, () => {
  let redis;
  let proxy;
  const nodes = [];
  const { clients, connect } = clientPool();

  before(async () => {
    redis = await startRedis({ password: PASSWORD });
    proxy = await startProxy(redis.port);
    const common = ['--durability', 'memory', '--history-limit', '2000', '--cluster-timeout', '1s'];
    nodes.push(await startServer({
      toml: TEST_TOML, args: ['--cluster-redis', redis.url, '--node-id', 'A', ...common],
    }));
    nodes.push(await startServer({
      toml: TEST_TOML,
      args: ['--cluster-redis', `redis://:${PASSWORD}@127.0.0.1:${proxy.port}`, '--node-id', 'B', ...common],
    }));
    for (const node of nodes) await waitReady(node, 200);
  });

  after(async () => {
    await stopAll(nodes, clients);
    if (proxy) await proxy.close();
    if (redis) await redis.stop();
  });

  test('blackhole: unavailable then ready, nothing acknowledged lost, viewers get exactly that', async () => {
    const [A, B] = nodes;
    const onA = await connect(A, 'alice', 'app1');
    const onB = await connect(B, 'alice', 'app1');
    for (const v of [onA, onB]) await history(v);
    const pA = await connect(A, 'alice', 'app1', { mode: 'producer' });
    const pB = await connect(B, 'alice', 'app1', { mode: 'producer' });
    const acked = [];
    let refusedOnB = 0;
    let cutAt = 0;
    const sendB = async (name) => {
      const logs = batchOf(name, 4);
      refusedOnB += (await sendUntilAcked(async () => pB, logs)) - 1;
      acked.push(...logs.map((l) => l.message));
    };
    // A writes all along, cut or not (paced, at most 500 batches).
    let stopA = false;
    const loadA = (async () => {
      for (let i = 0; i < 500 && !stopA; i++) {
        const logs = batchOf(`a-${i}`, 4);
        await sendUntilAcked(async () => pA, logs);
        acked.push(...logs.map((l) => l.message));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    for (let i = 0; i < 5; i++) await sendB(`b-${i}`);
    // Cut between two of B's acknowledged batches: what B sends from now on waits in the cut.
    proxy.cut();
    cutAt = Date.now();
    const during = (async () => { for (let i = 5; i < 10; i++) await sendB(`b-${i}`); })();
    await waitFor(async () => (await readyz(B)).status === 503, { timeoutMs: 2900, what: 'B unavailable during the cut' });
    assert.equal((await readyz(A)).status, 200, 'A is not cut off');
    await new Promise((r) => setTimeout(r, Math.max(0, 3000 - (Date.now() - cutAt))));  // the cut lasts 3 s
    proxy.repair();
    await waitReady(B, 200);
    await during;
    for (let i = 10; i < 15; i++) await sendB(`b-${i}`);
    stopA = true;
    await loadA;
    assert.ok(refusedOnB > 0, 'B refused as unavailable while cut off');

    const [a, b] = await Promise.all([onA.entries(acked.length, 15000), onB.entries(acked.length, 15000)]);
    assert.deepEqual(ids(b), ids(a), 'the same entries in the same order on both nodes');
    assert.deepEqual([...a.map((e) => e.message)].sort(), [...acked].sort(),
      'exactly what was acknowledged: nothing lost, nothing refused, nothing twice');
    for (const v of [onA, onB]) {
      await v.sync();
      assert.deepEqual(v.take('logs'), []);
      assert.deepEqual(v.take('dropped'), []);
    }
  });
});
