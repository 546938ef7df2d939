// Cluster mode (docs/cluster.md): a producer whose acknowledgement was lost sends its batch
// again, under the same ref, through another node; Redis remembers the ref for about a minute,
// so the batch is kept once, every viewer sees it once, and the retry gets the same ack.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { redisInstalled, redisCommand } = require('../support/redis');
const { startCluster, clientPool } = require('../support/cluster');
const { as, sendLogs, history, TEST_TOML } = require('../support/client');

const skip = redisInstalled() ? false : 'redis-server is not installed';
const ids = (entries) => entries.map((e) => e.id);

describe('cluster mode: a batch sent again under its ref', { skip, timeout: 120000 }, () => {
  let cluster;
  const { clients, connect } = clientPool();

  before(async () => {
    cluster = await startCluster({ toml: TEST_TOML, args: ['--durability', 'memory'] });
  });

  after(async () => {
    if (cluster) await cluster.stop(clients);
  });

  test('is kept once, seen once by every viewer, and acknowledged alike on another node', async () => {
    const [A, B, C] = cluster.nodes;
    const viewers = [];
    for (const node of cluster.nodes) {
      const v = await connect(node, 'alice', 'app1');
      await history(v);
      viewers.push(v);
    }
    const onA = await connect(A, 'alice', 'app1', { mode: 'producer' });
    const onB = await connect(B, 'alice', 'app1', { mode: 'producer' });
    // No timestamps: each node gives the entries its own receive time; still the same batch.
    const batch = [{ message: 'retried-1' }, { level: 'info' }, { message: 'retried-2', level: 'warn' }];
    const first = await sendLogs(onA, batch, 'batch-7');
    assert.equal(first.payload.accepted, 2, JSON.stringify(first));
    assert.equal(first.payload.rejected.length, 1);
    // A's ack was lost (say A died): the producer sends the same batch to B.
    const again = await sendLogs(onB, batch, 'batch-7');
    assert.deepEqual(again.payload, first.payload, 'the same ack');
    // The same ref with other entries is another batch (two producers counting refs alike).
    const other = await sendLogs(onB, [{ message: 'same ref, other batch' }], 'batch-7');
    assert.equal(other.payload.accepted, 1);
    const last = await sendLogs(onA, [{ message: 'last' }], 'batch-8');
    assert.equal(last.payload.accepted, 1);

    const expected = ['retried-1', 'retried-2', 'same ref, other batch', 'last'];
    const seen = await Promise.all(viewers.map((v) => v.entries(4, 10000)));
    for (const s of seen) {
      assert.deepEqual(s.map((e) => e.message), expected, 'each entry once');
      assert.deepEqual(ids(s), ids(seen[0]), 'the same ids on every node');
    }
    for (const v of viewers) {
      await v.sync();
      assert.deepEqual(v.take('logs'), [], 'nothing more');
      assert.deepEqual(ids((await history(v)).payload), ids(seen[0]), 'history holds it once');
    }
    // One stream entry per batch appended: three, not four.
    const stream = await redisCommand(cluster.redis.port, ['XLEN', 'smartlog:{app1}:stream']);
    assert.equal(stream, 3);
    assert.ok(C, 'three nodes');
  });
});
