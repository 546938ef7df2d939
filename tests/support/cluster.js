// Starts one redis-server and several smartlogd nodes on it for the cluster tests
// (docs/cluster.md), and stops them all; every node must exit cleanly unless a test killed it.
'use strict';
const assert = require('node:assert/strict');
const { startServer } = require('./server');
const { startRedis } = require('./redis');
const { as, waitFor } = require('./client');

async function readyz(node) {
  const res = await fetch(`${node.url}readyz`);
  return { status: res.status, body: await res.json() };
}

// Resolves once `node` answers /readyz with `status`; on a timeout the error carries the last
// answer and the node's output.
async function waitReady(node, status = 200, timeoutMs = 15000) {
  try {
    await waitFor(async () => (await readyz(node)).status === status,
      { timeoutMs, what: `readyz ${status} on ${node.url}` });
  } catch (e) {
    const res = await fetch(`${node.url}readyz`);
    e.message += `\nreadyz: ${await res.text()}\nnode output:\n${node.output().slice(-3000)}`;
    throw e;
  }
}

// Closes `clients`, then stops every node still running; each must exit cleanly.
async function stopAll(nodes, clients = []) {
  for (const c of clients) c.close();
  for (const node of nodes) {
    if (node.proc.exitCode !== null || node.proc.signalCode !== null) continue;
    node.proc.kill('SIGCONT');  // a test that failed while it was stopped
    const { code } = await node.stop();
    assert.equal(code, 0, `smartlogd exit code\n${node.output()}`);
  }
}

// Resolves to {redis, nodes, stop(clients)} once every node answers /readyz 200. `args` are
// given to every node after --cluster-redis and --node-id (A, B, C, ...).
async function startCluster({ count = 3, toml, args = [], password } = {}) {
  const redis = await startRedis({ password });
  const nodes = [];
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(await startServer({
        toml,
        args: ['--cluster-redis', redis.url, '--node-id', String.fromCharCode(65 + i), ...args],
      }));
    }
    for (const node of nodes) await waitReady(node);
  } catch (e) {
    for (const node of nodes) await node.stop('SIGKILL');
    await redis.stop();
    throw e;
  }
  return {
    redis,
    nodes,
    // Closes `clients`, stops every node still running (each must exit 0), then Redis.
    async stop(clients = []) {
      await stopAll(nodes, clients);
      await redis.stop();
    },
  };
}

// The clients a test block opens, to close together at its end: `connect` opens one as `as` does.
function clientPool() {
  const clients = [];
  return {
    clients,
    async connect(node, user, app, extra) {
      const c = await as(node.wsUrl, user, app, extra);
      clients.push(c);
      return c;
    },
  };
}

module.exports = { startCluster, readyz, waitReady, stopAll, clientPool };
