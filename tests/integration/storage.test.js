// Durable history (docs/storage.md) against the real smartlogd: restarts on the same data dir, clear and
// retention on disk, and what `durability = "sync"` promises when the process is killed.
'use strict';
const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { startServer, binary } = require('../support/server');
const { as, sendLogs, history, waitFor, TEST_TOML } = require('../support/client');
const { auth, allStored, stopCleanly } = require('../support/stored');

const batch = (prefix, n) => Array.from({ length: n }, (_, i) => ({ message: `${prefix}${i}`, level: 'info' }));

describe('storage', () => {
  test('history comes back after a restart, in order, with the same ids', async () => {
    let server = await startServer({ toml: TEST_TOML });
    const producer = await as(server.wsUrl, 'alice', 'app1');
    for (let i = 0; i < 3; i++) {
      const ack = await sendLogs(producer, batch(`r${i}-`, 10));
      assert.equal(ack.payload.accepted, 10);
    }
    // History leaves out entries still waiting in the live batch: let them go out first.
    await producer.entries(30);
    const before = (await history(producer)).payload;
    assert.equal(before.length, 30);
    producer.close();
    await stopCleanly(server);

    server = await startServer({ toml: TEST_TOML, dataDir: server.dataDir });
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    const after = (await history(viewer)).payload;
    assert.deepEqual(after, before);
    // New ids keep growing after the restored ones.
    await sendLogs(viewer, [{ message: 'after restart' }]);
    const stored = await allStored(server);
    assert.equal(stored.length, 31);
    assert.equal(stored[0].message, 'after restart');
    assert.ok(stored[0].id > before[29].id);
    assert.deepEqual(stored.slice(1).reverse(), before);
    viewer.close();
    await stopCleanly(server);
  });

  test('entries acknowledged just before SIGTERM are on disk (batch mode flushes at shutdown)', async () => {
    let server = await startServer({ toml: TEST_TOML, args: ['--durability', 'batch'] });
    const producer = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
    const ack = await sendLogs(producer, batch('t', 200));
    assert.equal(ack.payload.accepted, 200);
    await stopCleanly(server);
    server = await startServer({ toml: TEST_TOML, dataDir: server.dataDir });
    assert.equal((await allStored(server)).length, 200);
    await stopCleanly(server);
  });

  test('a clear survives a restart', async () => {
    let server = await startServer({ toml: TEST_TOML });
    const client = await as(server.wsUrl, 'alice', 'app1');
    await sendLogs(client, batch('old', 5));
    client.send({ type: 'clear' });
    await client.next('cleared');
    await sendLogs(client, [{ message: 'kept' }]);
    client.close();
    await stopCleanly(server);

    server = await startServer({ toml: TEST_TOML, dataDir: server.dataDir });
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    assert.deepEqual((await history(viewer)).payload.map((e) => e.message), ['kept']);
    assert.deepEqual((await allStored(server)).map((e) => e.message), ['kept']);
    viewer.close();
    await stopCleanly(server);
  });

  test('retention_entries drops the oldest entries from disk', async () => {
    let server = await startServer({ toml: TEST_TOML, args: ['--retention-entries', '5'] });
    const client = await as(server.wsUrl, 'alice', 'app1');
    await sendLogs(client, batch('e', 20));
    // Retention runs in the background, about once a second.
    const kept = await waitFor(async () => {
      const stored = await allStored(server);
      return stored.length === 5 && stored;
    }, { timeoutMs: 5000, everyMs: 100, what: 'retention' });
    assert.deepEqual(kept.map((e) => e.message), ['e19', 'e18', 'e17', 'e16', 'e15']);
    client.close();
    await stopCleanly(server);

    server = await startServer({ toml: TEST_TOML, dataDir: server.dataDir, args: ['--retention-entries', '5'] });
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    assert.deepEqual((await history(viewer)).payload.map((e) => e.message), ['e15', 'e16', 'e17', 'e18', 'e19']);
    viewer.close();
    await stopCleanly(server);
  });

  test('a second smartlogd on the same data_dir refuses to start, naming the first; a killed one leaves no lock', async () => {
    let first = await startServer({ toml: TEST_TOML });
    // --log-level error: nothing but the refusal on stderr.
    const second = spawnSync(binary, ['--listen', '127.0.0.1:0', '--data-dir', first.dataDir, '--log-level', 'error'],
      { timeout: 20000, encoding: 'utf8' });
    assert.equal(second.status, 2, `exit ${second.status} ${second.signal}\n${second.stdout}${second.stderr}`);
    assert.doesNotMatch(second.stdout, /listening/);
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 1, second.stderr);
    const m = lines[0].match(/^smartlogd: storage: data_dir (.+) is in use by another smartlogd \(pid (\d+) on host [^,]+, started \d{4}-\d\d-\d\dT[\d:]+Z, .*smartlog\.lock\); stop it first/);
    assert.ok(m, lines[0]);
    assert.equal(m[1], first.dataDir);
    assert.equal(Number(m[2]), first.proc.pid);

    // The first one is untouched: it still stores.
    const producer = await as(first.wsUrl, 'alice', 'app1', { mode: 'producer' });
    assert.equal((await sendLogs(producer, batch('l', 3))).payload.accepted, 3);
    assert.equal((await allStored(first)).length, 3);
    producer.close();
    // The kernel drops the lock of a killed process: the next start is not refused.
    await first.stop('SIGKILL');
    first = await startServer({ toml: TEST_TOML, dataDir: first.dataDir });
    assert.equal((await allStored(first)).length, 3);
    await stopCleanly(first);
  });

  test('durability=sync: every acknowledged entry survives SIGKILL', async () => {
    let server = await startServer({ toml: TEST_TOML, args: ['--durability', 'sync'] });
    const producer = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
    const acked = new Set();
    const sent = new Set();
    // A producer with several batches in flight, sending the next one on each ack, killed
    // mid-stream.
    let ref = 0;
    const sendOne = () => {
      const logs = batch(`k${ref}-`, 20);
      logs.forEach((l) => sent.add(l.message));
      producer.send({ type: 'logs', ref, data: { logs } });
      ref++;
    };
    producer.ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type !== 'logs_ack' || msg.payload.accepted !== 20) return;
      for (let i = 0; i < 20; i++) acked.add(`k${msg.payload.ref}-${i}`);
      sendOne();
    });
    for (let i = 0; i < 8; i++) sendOne();
    await waitFor(() => acked.size >= 2000, { timeoutMs: 20000, what: '2000 acknowledged entries' });
    server.proc.kill('SIGKILL');
    const { signal } = await server.exited;
    producer.close();
    assert.equal(signal, 'SIGKILL');
    const ackedAtKill = new Set(acked);

    server = await startServer({ toml: TEST_TOML, dataDir: server.dataDir });
    const stored = new Set((await allStored(server)).map((e) => e.message));
    const missing = [...ackedAtKill].filter((m) => !stored.has(m));
    assert.equal(missing.length, 0, `${missing.length} acknowledged entries lost, e.g. ${missing.slice(0, 3)}`);
    for (const m of stored) assert.ok(sent.has(m), `stored an entry never sent: ${m}`);
    assert.ok(stored.size >= ackedAtKill.size);
    console.log(`sync + SIGKILL: ${ackedAtKill.size} acknowledged, ${stored.size} stored, ${sent.size} sent`);
    await stopCleanly(server);
  });
});
