// History byte budget: each app's in-memory history is bounded by history_max_bytes
// as well as history_limit; the oldest go first, and resuming from one of them says `gap`.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { as, sendLogs, history, TEST_TOML } = require('../support/client');

test('history_max_bytes evicts the oldest entries; an evicted afterId gets gap', async () => {
  const server = await startServer({
    toml: TEST_TOML,
    args: ['--durability', 'memory', '--history-limit', '1000', '--history-max-bytes', '16KiB',
      '--batch-max-delay', '5ms'],
  });
  try {
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    const producer = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
    const payload = (i) => `m${String(i).padStart(2, '0')}:${'x'.repeat(1000)}`;
    for (let i = 0; i < 20; ++i) {
      assert.equal((await sendLogs(producer, [{ message: payload(i) }])).payload.accepted, 1);
    }
    const live = await viewer.entries(20);
    assert.deepEqual(live.map((e) => e.message.slice(0, 3)), [...Array(20).keys()].map((i) => payload(i).slice(0, 3)));

    const kept = (await history(viewer)).payload;
    // Each entry costs a little over 1 KiB, its message held once (inside its encoded text),
    // so 16 KiB keeps more than the 8 a doubled count kept, and at most 16; the count limit
    // (1000) is far away.
    assert.ok(kept.length > 8 && kept.length <= 16, `${kept.length} entries kept`);
    assert.deepEqual(kept.map((e) => e.id), live.slice(live.length - kept.length).map((e) => e.id),
      'history is not the newest entries in order');

    // Resuming from an evicted entry: gap, and everything kept from the oldest on.
    const evicted = live[live.length - kept.length - 1];
    const fromEvicted = await history(viewer, { afterId: evicted.id });
    assert.equal(fromEvicted.gap, true);
    assert.deepEqual(fromEvicted.payload.map((e) => e.id), kept.map((e) => e.id));
    // Resuming from the oldest kept: exactly what came after it, no gap.
    const fromKept = await history(viewer, { afterId: kept[0].id });
    assert.equal(fromKept.gap, undefined);
    assert.deepEqual(fromKept.payload.map((e) => e.id), kept.slice(1).map((e) => e.id));

    // One more entry pushes that oldest one out too.
    await sendLogs(producer, [{ message: payload(20) }]);
    await viewer.entries(1);
    const afterMore = await history(viewer, { afterId: kept[0].id });
    assert.equal(afterMore.gap, true);
    assert.equal(afterMore.payload.at(-1).message, payload(20));
    assert.ok(!afterMore.payload.some((e) => e.id === kept[0].id));
    for (const c of [producer, viewer]) c.close();
  } finally {
    await server.stop();
  }
});
