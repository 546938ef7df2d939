// Cluster mode (docs/cluster.md): the metrics an app's viewers get are the app's over every
// node: activeConnections sums each node's connections (a node gone stops counting a few
// metrics intervals later), and a producer's send_metrics reaches the viewers of every node.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { redisInstalled } = require('../support/redis');
const { startCluster, clientPool } = require('../support/cluster');
const { as, history, TEST_TOML } = require('../support/client');

const skip = redisInstalled() ? false : 'redis-server is not installed';

// Resolves once a `metrics` push to `client` says `count` active connections; rejects with the
// last figure seen after `timeoutMs`.
async function connectionsReach(client, count, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`activeConnections stayed ${last}, expected ${count}`);
    const m = await client.next('metrics', left).catch(() => null);
    if (m) last = m.payload.activeConnections;
    if (last === count) return;
  }
}

describe('cluster mode: metrics over three nodes', { skip, timeout: 120000 }, () => {
  let cluster;
  const { clients, connect } = clientPool();

  before(async () => {
    cluster = await startCluster({
      toml: TEST_TOML, args: ['--durability', 'memory', '--metrics-interval', '200ms'],
    });
  });

  after(async () => {
    if (cluster) await cluster.stop(clients);
  });

  test('app_metrics reach every node; activeConnections is the sum, until a node is gone', async () => {
    const [A, B, C] = cluster.nodes;
    const viewers = [await connect(A, 'alice', 'app1'), await connect(A, 'alice', 'app1'),
      await connect(B, 'alice', 'app1'), await connect(C, 'alice', 'app1')];
    for (const v of viewers) await history(v);
    const producer = await connect(B, 'alice', 'app1', { mode: 'producer' });
    // Another app's connections count for that app only.
    await connect(C, 'bob', 'app2');

    // A producer's metrics, to the viewers of every node, once each.
    for (const [i, cpu] of [[0, 11], [1, 12]]) {
      producer.send({ type: 'send_metrics', data: { metrics: { cpu }, timestamp: 1700000000000 + i } });
      for (const v of viewers) {
        const m = await v.next('app_metrics', 5000);
        assert.deepEqual(m.payload, { appId: 'app1', userId: 'alice', metrics: { cpu }, timestamp: 1700000000000 + i });
      }
    }
    for (const v of viewers) {
      await v.sync();
      assert.deepEqual(v.take('app_metrics'), [], 'each once');
    }

    // 4 viewers and 1 producer on three nodes.
    for (const v of viewers) await connectionsReach(v, 5);

    // C dies: its viewer is gone, and C's count expires from Redis.
    await C.stop('SIGKILL');
    for (const v of viewers.slice(0, 3)) await connectionsReach(v, 4);
    // One viewer leaves A: counted at once on A, a push later on B.
    viewers[1].close();
    await connectionsReach(viewers[0], 3);
    await connectionsReach(viewers[2], 3);
  });
});
