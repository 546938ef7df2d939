// Cluster mode (docs/cluster.md): three smartlogd nodes share their apps through one Redis.
// Every viewer of an app sees the same ids in the same order whatever node it is on, a viewer
// resumes on another node by afterId exactly, a clear reaches every node, and without Redis
// ingest is refused as retryable while history is still served.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { clientPool, readyz, waitReady, stopAll } = require('../support/cluster');
const { startRedis, redisInstalled, redisCommand } = require('../support/redis');
const { as, sendLogs, history, waitFor, TEST_TOML } = require('../support/client');

const skip = redisInstalled() ? false : 'redis-server is not installed';
const PASSWORD = 'cluster-test-password';

const ids = (entries) => entries.map((e) => e.id);

async function postLogs(node, logs, { user = 'alice', app = 'app1' } = {}) {
  const res = await fetch(`${node.url}api/v1/logs`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${user}-token`, 'X-Smartlog-User': user, 'X-Smartlog-App': app,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(logs),
  });
  return { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') };
}

// Every node answers /readyz 200: connected to Redis and serving.
async function allReady(nodes) {
  for (const node of nodes) await waitReady(node, 200, 10000);
}

// Nothing more is on its way to `client`: what it was sent so far is all it gets.
async function assertNoMoreLogs(client) {
  await client.sync();
  assert.deepEqual(client.take('logs'), []);
}

describe('cluster mode: three nodes on one Redis', { skip, timeout: 120000 }, () => {
  let redis;
  const nodes = [];
  const { clients, connect } = clientPool();

  before(async () => {
    redis = await startRedis({ password: PASSWORD });
    for (const name of ['A', 'B', 'C']) {
      nodes.push(await startServer({
        toml: TEST_TOML,
        args: ['--cluster-redis', redis.url, '--node-id', name, '--durability', 'memory',
          '--history-limit', '500'],
      }));
    }
    await allReady(nodes);
  });

  after(async () => {
    await stopAll(nodes, clients);
    if (redis) await redis.stop();
  });

  test('every viewer of an app sees the same ids in the same order, and nothing of the other', async () => {
    const [A, B, C] = nodes;
    const viewers = { app1: [], app2: [] };
    for (const node of nodes) {
      viewers.app1.push(await connect(node, 'alice', 'app1'));
      viewers.app2.push(await connect(node, 'bob', 'app2'));
    }
    // A history answer waits until the node's window follows the bus: from then on, live.
    for (const v of [...viewers.app1, ...viewers.app2]) assert.deepEqual((await history(v)).payload, []);
    const producers = {
      app1: [await connect(A, 'alice', 'app1', { mode: 'producer' }),
        await connect(B, 'alice', 'app1', { mode: 'producer' })],
      app2: [await connect(B, 'bob', 'app2', { mode: 'producer' }),
        await connect(C, 'bob', 'app2', { mode: 'producer' })],
    };
    const sent = { app1: [], app2: [] };
    const rounds = 20;
    await Promise.all(Object.entries(producers).flatMap(([app, list]) => list.map(async (p, k) => {
      for (let r = 0; r < rounds; r++) {
        const logs = Array.from({ length: 5 }, (_, i) => ({
          message: `${app}-p${k}-r${r}-${i}`, level: i === 4 ? 'error' : 'info',
        }));
        const ack = await sendLogs(p, logs);
        assert.equal(ack.payload.accepted, 5, JSON.stringify(ack));
        sent[app].push(...logs.map((l) => l.message));
      }
    })));
    for (const app of ['app1', 'app2']) {
      const total = sent[app].length;
      const seen = await Promise.all(viewers[app].map((v) => v.entries(total, 10000)));
      const reference = ids(seen[0]);
      assert.equal(new Set(reference).size, total, 'no entry twice');
      assert.deepEqual([...reference].sort(), reference, 'ids grow in delivery order');
      assert.deepEqual(seen[0].map((e) => e.message).sort(), [...sent[app]].sort());
      for (const s of seen) {
        assert.deepEqual(ids(s), reference, 'the same ids in the same order on every node');
        assert.ok(s.every((e) => e.appId === app), 'nothing of the other app');
      }
      // Each producer's entries keep the order it sent them in.
      for (const prefix of [`${app}-p0-`, `${app}-p1-`]) {
        const mine = seen[0].map((e) => e.message).filter((m) => m.startsWith(prefix));
        assert.deepEqual(mine, sent[app].filter((m) => m.startsWith(prefix)));
      }
      // The history of every node holds the same entries as were delivered live.
      for (const v of viewers[app]) assert.deepEqual(ids((await history(v)).payload), reference);
    }
    for (const v of [...viewers.app1, ...viewers.app2]) await assertNoMoreLogs(v);
  });

  test('a viewer leaves node B and resumes on node C by afterId: what it missed, then live', async () => {
    const [A, B, C] = nodes;
    const reference = await connect(A, 'alice', 'app1');
    await history(reference);
    const viewer = await connect(B, 'alice', 'app1');
    await history(viewer);
    const producer = await connect(A, 'alice', 'app1', { mode: 'producer' });
    let n = 0;
    const send = async (batches) => {
      for (let i = 0; i < batches; i++) {
        const ack = await sendLogs(producer, Array.from({ length: 4 }, () => ({ message: `resume-${n++}` })));
        assert.equal(ack.payload.accepted, 4);
      }
    };
    await send(5);
    const seenBefore = await viewer.entries(20);
    viewer.close();
    await send(10);
    // More keeps coming while the viewer comes back on another node.
    const load = send(10);
    const back = await connect(C, 'alice', 'app1');
    const missed = await history(back, { afterId: seenBefore[seenBefore.length - 1].id });
    assert.ok(!missed.gap, 'nothing lost');
    await load;
    const all = await reference.entries(100, 10000);
    assert.ok(missed.payload.length >= 40, `at least what was sent while away: ${missed.payload.length}`);
    // What `back` received live, before the answer (already in it: the request came later) and
    // after it (only what the answer did not hold).
    const answerAt = back.received.indexOf(missed);
    const liveLogs = (list) => list.filter((m) => m.type === 'logs' && !m.history).flatMap((m) => m.payload);
    const answered = new Set(ids(missed.payload));
    for (const e of liveLogs(back.received.slice(0, answerAt))) assert.ok(answered.has(e.id));
    const liveAfter = () => liveLogs(back.received.slice(answerAt + 1));
    const expected = all.length - seenBefore.length - missed.payload.length;
    await waitFor(() => liveAfter().length >= expected, { timeoutMs: 10000, what: 'live entries on C' });
    assert.deepEqual([...ids(seenBefore), ...ids(missed.payload), ...ids(liveAfter())], ids(all),
      'exactly the same entries, no duplicate, no hole');
    await back.sync();
    assert.equal(liveAfter().length, expected, 'nothing more');
  });

  test('more than history_limit written while away: gap, from the oldest entry kept', async () => {
    const [A, B, C] = nodes;
    const reference = await connect(A, 'alice', 'app1');
    await history(reference);
    const viewer = await connect(B, 'alice', 'app1');
    await history(viewer);
    const producer = await connect(A, 'alice', 'app1', { mode: 'producer' });
    await sendLogs(producer, [{ message: 'last seen' }]);
    const [seen] = await viewer.entries(1);
    viewer.close();
    for (let i = 0; i < 26; i++) {
      const ack = await sendLogs(producer, Array.from({ length: 20 }, (_, j) => ({ message: `away-${i}-${j}` })));
      assert.equal(ack.payload.accepted, 20);
    }
    const all = await reference.entries(521, 10000);
    const back = await connect(C, 'alice', 'app1');
    const h = await history(back, { afterId: seen.id });
    assert.equal(h.gap, true);
    assert.deepEqual(ids(h.payload), ids(all).slice(-500), 'the history_limit newest, oldest first');
  });

  test('clear on one node reaches every node; ids from before it answer gap', async () => {
    const viewers = [];
    const others = [];
    for (const node of nodes) {
      viewers.push(await connect(node, 'alice', 'app1'));
      others.push(await connect(node, 'bob', 'app2'));
    }
    const kept = (await history(viewers[0])).payload;
    assert.ok(kept.length > 0);
    for (const v of [...viewers, ...others]) await history(v);
    viewers[2].send({ type: 'clear' });
    for (const v of viewers) {
      const cleared = await v.next('cleared', 5000);
      assert.equal(cleared.payload.appId, 'app1');
      assert.equal(cleared.payload.clearedBy, 'alice');
      assert.equal(cleared.payload.count, kept.length);
      assert.deepEqual((await history(v)).payload, []);
    }
    for (const o of others) {
      await o.sync();
      assert.deepEqual(o.take('cleared'), [], 'the other app is not cleared');
      assert.ok((await history(o)).payload.length > 0);
    }
    const producer = await connect(nodes[1], 'alice', 'app1', { mode: 'producer' });
    await sendLogs(producer, [{ message: 'after-clear' }]);
    for (const v of viewers) {
      assert.deepEqual((await v.entries(1)).map((e) => e.message), ['after-clear']);
      const h = await history(v, { afterId: kept[kept.length - 1].id });
      assert.equal(h.gap, true, 'an id of the previous epoch');
      assert.deepEqual(h.payload.map((e) => e.message), ['after-clear']);
    }
  });

  test('a node whose bus connection is cut reads what it missed from the stream, in order', async () => {
    const [A, B] = nodes;
    const onA = await connect(A, 'bob', 'app2');
    const onB = await connect(B, 'bob', 'app2');
    await history(onA);
    await history(onB);
    const producer = await connect(A, 'bob', 'app2', { mode: 'producer' });
    const list = await redisCommand(redis.port, ['CLIENT', 'LIST'], PASSWORD);
    const line = list.split('\n').find((l) => / name=smartlog:B:bus /.test(l));
    assert.ok(line, list);
    const id = line.match(/^id=(\d+)/)[1];
    assert.equal(await redisCommand(redis.port, ['CLIENT', 'KILL', 'ID', id], PASSWORD), 1);
    // Written while B is away from the bus: it gets them by reading the stream once back.
    for (let i = 0; i < 10; i++) {
      const ack = await sendLogs(producer, [{ message: `cut-${i}-a` }, { message: `cut-${i}-b` }]);
      assert.equal(ack.payload.accepted, 2);
    }
    const [a, b] = await Promise.all([onA.entries(20, 10000), onB.entries(20, 10000)]);
    assert.deepEqual(ids(b), ids(a), 'the same entries in the same order');
    assert.deepEqual(a.map((e) => e.message),
      Array.from({ length: 10 }, (_, i) => [`cut-${i}-a`, `cut-${i}-b`]).flat());
    await assertNoMoreLogs(onB);
    assert.match(B.output(), /redis bus .*reconnecting/, 'B did lose its bus connection');
  });

  test('an app whose newest message never reached the bus is read from its stream', async () => {
    const viewers = [];
    for (const node of nodes) {
      const v = await connect(node, 'bob', 'app2');
      await history(v);
      viewers.push(v);
    }
    // An append that publishes on another channel: in Redis, never on the bus (a lost message).
    const field = (text) => {
      const b = Buffer.from(text);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      return Buffer.concat([len, b]);
    };
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64LE(BigInt(Date.now()));
    const payload = Buffer.concat([field('bob'), ts, Buffer.from([0]), field('warn'),
      field('never on the bus'), field(''), field('')]);
    const reply = await redisCommand(redis.port, ['FCALL', 'smartlog_append', '2',
      'smartlog:{app2}:meta', 'smartlog:{app2}:stream', 'app2', '1', payload, '1000', 'elsewhere'],
    PASSWORD);
    assert.ok(Array.isArray(reply), String(reply));
    // Each node's position check finds Redis ahead and reads the stream (within ~10 s).
    const got = await Promise.all(viewers.map((v) => v.entries(1, 15000)));
    for (const [e] of got) {
      assert.equal(e.message, 'never on the bus');
      assert.equal(e.level, 'warn');
      assert.equal(e.id, got[0][0].id);
    }
  });

  test('without Redis: ingest refused as retryable, /readyz false, history still served', async () => {
    const viewer = await connect(nodes[1], 'alice', 'app1');
    const before = (await history(viewer)).payload;
    await redis.stop();
    for (const node of nodes) {
      await waitFor(async () => (await readyz(node)).status === 503, { timeoutMs: 10000, what: 'readyz 503' });
    }
    const r = await readyz(nodes[0]);
    assert.equal(r.body.error.code, 'unavailable');

    const producer = await connect(nodes[0], 'alice', 'app1', { mode: 'producer' });
    const refused = await producer.request({ type: 'logs', data: { logs: [{ message: 'lost?' }] }, ref: 'r1' },
      (m) => m.type === 'error' || m.type === 'logs_ack');
    assert.equal(refused.type, 'error', JSON.stringify(refused));
    assert.equal(refused.payload.code, 'unavailable');
    assert.equal(refused.payload.ref, 'r1');
    const posted = await postLogs(nodes[2], [{ message: 'lost?' }]);
    assert.equal(posted.status, 503, JSON.stringify(posted.body));
    assert.equal(posted.body.error.code, 'unavailable');
    assert.equal(posted.retryAfter, '1');
    assert.deepEqual(ids((await history(viewer)).payload), ids(before), 'history served locally');

    // Redis comes back empty: a new epoch; ids from before it answer gap.
    redis = await startRedis({ port: redis.port, password: PASSWORD });
    for (const node of nodes) {
      await waitFor(async () => (await readyz(node)).status === 200, { timeoutMs: 15000, what: 'readyz 200' });
    }
    const ack = await sendLogs(producer, [{ message: 'after-restart' }]);
    assert.equal(ack.payload.accepted, 1);
    assert.deepEqual((await viewer.entries(1)).map((e) => e.message), ['after-restart']);
    const h = await history(viewer, { afterId: before[before.length - 1].id });
    assert.equal(h.gap, true);
    assert.deepEqual(h.payload.map((e) => e.message), ['after-restart']);
    await assertNoMoreLogs(viewer);
  });
});

describe('cluster mode: apps spread over two Redis servers', { skip, timeout: 120000 }, () => {
  const servers = [];
  const nodes = [];
  const clients = [];

  before(async () => {
    servers.push(await startRedis(), await startRedis());
    // The same servers, listed in another order on each node: the ring does not depend on it.
    const lists = [[0, 1], [1, 0]].map((order) => order.map((i) => servers[i].url).join(','));
    for (const list of lists) {
      nodes.push(await startServer({ args: ['--cluster-redis', list, '--durability', 'memory'] }));
    }
    await allReady(nodes);
  });

  after(async () => {
    await stopAll(nodes, clients);
    for (const r of servers) await r.stop();
  });

  test('each app lives on one server, the same for every node, and is delivered alike', async () => {
    const apps = Array.from({ length: 8 }, (_, i) => `shard-app-${i}`);
    const viewers = {};
    for (const app of apps) {
      viewers[app] = [];
      for (const node of nodes) {
        const v = await as(node.wsUrl, 'viewer', app);
        clients.push(v);
        await history(v);
        viewers[app].push(v);
      }
    }
    for (const [k, app] of apps.entries()) {
      const producer = await as(nodes[k % 2].wsUrl, 'producer', app, { mode: 'producer' });
      clients.push(producer);
      const ack = await sendLogs(producer, Array.from({ length: 3 }, (_, i) => ({ message: `${app}-${i}` })));
      assert.equal(ack.payload.accepted, 3);
    }
    for (const app of apps) {
      const [a, b] = await Promise.all(viewers[app].map((v) => v.entries(3)));
      assert.deepEqual(ids(a), ids(b));
      assert.deepEqual(a.map((e) => e.message), [`${app}-0`, `${app}-1`, `${app}-2`]);
    }
    // Where the apps went: each on exactly one server, and both servers used.
    const held = [];
    for (const r of servers) {
      const keys = await redisCommand(r.port, ['KEYS', 'smartlog:*:meta']);
      held.push(keys.map((k) => k.replace(/^smartlog:\{(.*)\}:meta$/, '$1')).sort());
    }
    assert.ok(held[0].length > 0 && held[1].length > 0, JSON.stringify(held));
    assert.deepEqual([...held[0], ...held[1]].sort(), [...apps].sort());
  });
});

describe('cluster mode: each node stores what the bus brings, and catches up after a restart', { skip, timeout: 120000 }, () => {
  const LIMIT = 20;
  let redis;
  let stored;   // the node with its own SQLite storage, restarted in the tests
  let other;    // a node where the producer and a reference viewer stay
  const { clients, connect } = clientPool();
  const startStored = (dataDir) => startServer({
    toml: TEST_TOML, dataDir,
    args: ['--cluster-redis', redis.url, '--node-id', 'stored', '--durability', 'sync',
      '--history-limit', String(LIMIT)],
  });
  // Every entry the node's storage holds for app1, oldest first (the HTTP query, newest first).
  async function storedIds(node) {
    const res = await fetch(`${node.url}api/v1/logs?app=app1&limit=1000`, {
      headers: { Authorization: 'Bearer alice-token', 'X-Smartlog-User': 'alice' },
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    return ids(body.logs).reverse();
  }
  let producer;
  let reference;
  const all = [];  // every acknowledged entry's id, in order, as the reference viewer got them
  async function produce(count, from = producer) {
    for (let sent = 0; sent < count; sent += 10) {
      const logs = Array.from({ length: Math.min(10, count - sent) }, (_, i) => ({ message: `e${all.length + sent + i}` }));
      const ack = await sendLogs(from, logs);
      assert.equal(ack.payload.accepted, logs.length, JSON.stringify(ack));
    }
    all.push(...ids(await reference.entries(count, 10000)));
  }

  before(async () => {
    redis = await startRedis();
    other = await startServer({
      toml: TEST_TOML,
      args: ['--cluster-redis', redis.url, '--node-id', 'other', '--durability', 'memory',
        '--history-limit', String(LIMIT)],
    });
    stored = await startStored();
    await allReady([other, stored]);
    reference = await connect(other, 'alice', 'app1');
    await history(reference);
    producer = await connect(other, 'alice', 'app1', { mode: 'producer' });
  });

  after(async () => {
    await stopAll([other, stored], clients);
    if (redis) await redis.stop();
  });

  // The restarted node's storage holds `expected` once each, in order, and its window is the
  // same as the reference node's.
  async function assertCaughtUp(expected) {
    await allReady([stored]);
    const viewer = await connect(stored, 'alice', 'app1');
    const window = ids((await history(viewer)).payload);
    assert.deepEqual(window, all.slice(-LIMIT), 'the window is the newest entries of the app');
    await waitFor(async () => (await storedIds(stored)).length >= expected.length,
      { timeoutMs: 10000, what: 'the missed entries stored' });
    assert.deepEqual(await storedIds(stored), expected, 'each entry stored once, in order');
    viewer.close();
  }

  test('after a clean stop it stores exactly what it missed, and its window resumes exactly', async () => {
    const watcher = await connect(stored, 'alice', 'app1');
    await history(watcher);
    await produce(40);
    // With `sync`, the node's own producer is acknowledged once the node committed them.
    const local = await connect(stored, 'alice', 'app1', { mode: 'producer' });
    await produce(10, local);
    assert.equal((await storedIds(stored)).length, 50, 'acknowledged, so committed here');
    local.close();
    assert.deepEqual(ids(await watcher.entries(50, 10000)), all);
    watcher.close();
    const newestBefore = all[all.length - 1];
    assert.equal((await stored.stop()).code, 0);

    // While the node is away, less than a window: the entry it had last is still kept.
    await produce(LIMIT - 1);
    stored = await startStored(stored.dataDir);
    await assertCaughtUp(all);
    // A viewer that left with the node resumes on it by afterId: what it missed, no gap.
    const resumed = await connect(stored, 'alice', 'app1');
    const answer = await history(resumed, { afterId: newestBefore });
    assert.notEqual(answer.gap, true);
    assert.deepEqual(ids(answer.payload), all.slice(-(LIMIT - 1)));
  });

  test('after kill -9 it stores what it missed once, whatever it had committed', async () => {
    assert.equal((await stored.stop('SIGKILL')).signal, 'SIGKILL');
    await produce(10);
    stored = await startStored(stored.dataDir);
    await assertCaughtUp(all);
  });

  test('when what it missed was trimmed from Redis, its window is Redis\'s and a resume from before answers gap', async () => {
    const newestBefore = all[all.length - 1];
    const kept = [...all];
    assert.equal((await stored.stop()).code, 0);
    await produce(300);  // more than the stream keeps (history_limit + 256)
    stored = await startStored(stored.dataDir);
    await assertCaughtUp([...kept, ...all.slice(-LIMIT)]);
    const resumed = await connect(stored, 'alice', 'app1');
    const answer = await history(resumed, { afterId: newestBefore });
    assert.equal(answer.gap, true, JSON.stringify({ gap: answer.gap, n: answer.payload.length }));
    assert.deepEqual(ids(answer.payload), all.slice(-LIMIT));
  });
});
