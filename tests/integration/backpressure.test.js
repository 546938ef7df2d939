// Backpressure, not loss (docs/threading.md, "Backpressure"): with a storage queue of 200
// entries, producers flooding in batch mode are slowed down, never refused or dropped, and
// every entry acknowledged is on disk after a clean restart.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('../support/server');
const { metricValue } = require('../support/metrics');
const { as, history, TEST_TOML } = require('../support/client');

async function metric(server, name) {
  const value = await metricValue(server.url, name);
  assert.ok(!Number.isNaN(value), `${name} in /metrics`);
  return value;
}

test('a flood against a small storage queue: every acknowledged entry is stored, producers waited', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smartlog-backpressure-'));
  const args = ['--durability', 'batch', '--storage-queue-entries', '200', '--history-limit', '100000',
    '--retention-entries', '1000000'];
  let server = await startServer({ toml: TEST_TOML, dataDir, args });
  const producers = [];
  for (let p = 0; p < 3; p++) producers.push(await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' }));
  const messages = 100;
  const perMessage = 50;
  let acknowledged = 0;
  await Promise.all(producers.map(async (producer, p) => {
    for (let m = 0; m < messages; m++) {
      const logs = Array.from({ length: perMessage }, (_, i) => ({ message: `p${p}-${m * perMessage + i}` }));
      producer.send({ type: 'logs', data: { logs } });
    }
    for (let m = 0; m < messages; m++) {
      const ack = await producer.next('logs_ack', 30000);
      assert.deepEqual(ack.payload.rejected, []);
      acknowledged += ack.payload.accepted;
    }
  }));
  assert.equal(acknowledged, 3 * messages * perMessage);
  assert.ok(await metric(server, 'smartlog_ingest_throttled_seconds_total') > 0, 'producers waited for storage');
  for (const p of producers) p.close();
  const { code } = await server.stop();
  assert.equal(code, 0, server.output());

  server = await startServer({ toml: TEST_TOML, dataDir, args });
  try {
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    const answer = await history(viewer, {}, 20000);
    assert.equal(answer.payload.length, acknowledged, 'every acknowledged entry is back after the restart');
    for (let p = 0; p < 3; p++) {
      const mine = answer.payload.filter((e) => e.message.startsWith(`p${p}-`)).map((e) => Number(e.message.split('-')[1]));
      assert.deepEqual(mine, Array.from({ length: messages * perMessage }, (_, i) => i), `producer ${p} in order`);
    }
    viewer.close();
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
