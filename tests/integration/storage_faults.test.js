// Storage faults against the real smartlogd (docs/storage.md, "Faults"): a damaged database is
// refused at start and left as it was; a WAL torn by a crash keeps every committed entry; a
// full disk in durability=sync acknowledges nothing it could not commit and recovers when
// space returns. The full disk is tests/support/disk_full_preload.cpp, preloaded.
'use strict';
const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer, binary } = require('../support/server');
const { as, sendLogs, waitFor, TEST_TOML } = require('../support/client');
const { auth, allStored, stopCleanly } = require('../support/stored');

const batch = (prefix, n) => Array.from({ length: n }, (_, i) => ({
  message: `${prefix}${i} ${'x'.repeat(80)}`, level: 'info',
}));


// The sha-256 of every file in `dir`, to show that a refusal changed nothing.
function snapshot(dir) {
  const out = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const data = fs.readFileSync(path.join(dir, name));
    if (name.endsWith('-shm') || (name.endsWith('-wal') && data.length === 0)) continue;
    // Not data: each start writes its pid there (docs/storage.md, "One server per data_dir").
    if (name === 'smartlog.lock') continue;
    out[name] = crypto.createHash('sha256').update(data).digest('hex');
  }
  return out;
}

// Runs smartlogd on `dataDir` until it exits by itself (it should refuse to start).
function runRefused(dataDir, args = []) {
  // --log-level error: the open-mode warning would be a second line on stderr.
  const r = spawnSync(binary, ['--listen', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'error', ...args],
    { timeout: 20000, encoding: 'utf8' });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

// A server with 2,000 entries of app1 on disk, stopped cleanly.
async function filledDataDir() {
  const server = await startServer({ toml: TEST_TOML, args: ['--durability', 'sync'] });
  const producer = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
  for (let i = 0; i < 4; i++) assert.equal((await sendLogs(producer, batch(`f${i}-`, 500))).payload.accepted, 500);
  producer.close();
  await stopCleanly(server);
  return server.dataDir;
}

function assertRefused(dataDir, before) {
  const r = runRefused(dataDir);
  assert.equal(r.code, 2, `exit code ${r.code} ${r.signal}\n${r.stdout}${r.stderr}`);
  const dbPath = path.join(dataDir, 'smartlog.db');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^smartlogd: storage: /);
  assert.ok(lines[0].includes(`${dbPath} is damaged (`), lines[0]);
  assert.ok(lines[0].includes('changed nothing'), lines[0]);
  assert.ok(lines[0].includes('.recover'), lines[0]);
  assert.doesNotMatch(r.stdout, /listening/);
  assert.deepEqual(snapshot(dataDir), before);
  return lines[0];
}

describe('storage faults at start', () => {
  test('garbage over pages of the database: refused with one line, files untouched', async () => {
    const dataDir = await filledDataDir();
    const file = path.join(dataDir, 'smartlog.db');
    const bytes = fs.readFileSync(file);
    assert.ok(bytes.length > 16 * 4096, `database of ${bytes.length} bytes`);
    let seed = 5;
    const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed & 0xff; };
    for (let i = Math.floor(bytes.length / 2); i < Math.floor(bytes.length / 2) + 4 * 4096; i++) bytes[i] = rand();
    fs.writeFileSync(file, bytes);
    const line = assertRefused(dataDir, snapshot(dataDir));
    console.log(line);
  });

  test('a truncated database: refused, files untouched', async () => {
    const dataDir = await filledDataDir();
    const file = path.join(dataDir, 'smartlog.db');
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
    assertRefused(dataDir, snapshot(dataDir));
  });

  test('a file that is not a database: refused, files untouched', async () => {
    const dataDir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'smartlog-notdb-'));
    fs.writeFileSync(path.join(dataDir, 'smartlog.db'), 'these are not the pages you are looking for\n'.repeat(200));
    assertRefused(dataDir, snapshot(dataDir));
  });

  test('a WAL torn mid-frame by a crash keeps every acknowledged entry', async () => {
    let server = await startServer({ toml: TEST_TOML, args: ['--durability', 'sync'] });
    const producer = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
    const acked = [];
    for (let i = 0; i < 10; i++) {
      const logs = batch(`w${i}-`, 50);
      assert.equal((await sendLogs(producer, logs)).payload.accepted, 50);
      acked.push(...logs.map((l) => l.message));
    }
    server.proc.kill('SIGKILL');
    await server.exited;
    producer.close();
    // The crash came in the middle of the next transaction's first frame: a frame header with
    // the WAL's own salts, then half a page, cut short.
    const walFile = path.join(server.dataDir, 'smartlog.db-wal');
    const wal = fs.readFileSync(walFile);
    assert.ok(wal.length > 32 + 24, `WAL of ${wal.length} bytes`);
    const torn = Buffer.concat([wal, wal.subarray(32, 56), crypto.randomBytes(2048)]);
    fs.writeFileSync(walFile, torn);

    server = await startServer({ toml: TEST_TOML, dataDir: server.dataDir });
    const stored = (await allStored(server)).map((e) => e.message).reverse();
    assert.deepEqual(stored, acked);
    assert.equal((await fetch(`${server.url}readyz`)).status, 200);
    await stopCleanly(server);
  });
});

// The preloaded library, built beside smartlogd's build tree (tests/CMakeLists.txt).
function diskFullLibrary() {
  const lib = process.env.SMARTLOG_DISK_FULL_LIB ||
    path.resolve(path.dirname(binary), '../tests/libsmartlog_test_disk_full.so');
  assert.ok(fs.existsSync(lib), `${lib} is missing: build the smartlog_test_disk_full target`);
  return lib;
}

describe('full disk', () => {
  test('durability=sync: nothing acknowledged while full, readyz 503, HTTP 507; recovers when space returns', async () => {
    const flag = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'smartlog-full-')), 'full');
    const asan = process.env.ASAN_OPTIONS ? `${process.env.ASAN_OPTIONS}:` : '';
    let server = await startServer({
      toml: TEST_TOML,
      args: ['--durability', 'sync'],
      env: {
        LD_PRELOAD: diskFullLibrary(),
        SMARTLOG_TEST_DISK_FULL_FLAG: flag,
        // The preloaded library comes before the ASan runtime of the debug build.
        ASAN_OPTIONS: `${asan}verify_asan_link_order=0`,
      },
    });
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    const producer = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
    const readyz = async () => {
      const res = await fetch(`${server.url}readyz`);
      return { status: res.status, body: await res.json() };
    };
    const post = (logs) => fetch(`${server.url}api/v1/logs`, {
      method: 'POST', headers: { ...auth('alice'), 'Content-Type': 'application/json' }, body: JSON.stringify(logs),
    });

    assert.equal((await sendLogs(producer, batch('before', 3), 'r1')).payload.accepted, 3);
    assert.equal((await readyz()).status, 200);

    fs.writeFileSync(flag, '');
    const ack = (await sendLogs(producer, batch('lost', 4), 'r2')).payload;
    assert.equal(ack.ref, 'r2');
    assert.equal(ack.accepted, 0);
    assert.deepEqual(ack.rejected.map((r) => r.index), [0, 1, 2, 3]);
    for (const r of ack.rejected) assert.equal(r.message, 'not stored: No space left on device');
    const down = await readyz();
    assert.equal(down.status, 503);
    assert.equal(down.body.error.code, 'storage_error');
    assert.match(down.body.error.message, /full/);
    const res = await post(batch('lost-http', 2));
    assert.equal(res.status, 507);
    assert.equal((await res.json()).error.code, 'storage_full');
    // Live tailing goes on (docs/storage.md): viewers saw the unstored entries.
    const live = (await viewer.entries(3 + 4 + 2)).map((e) => e.message.split(' ')[0]);
    assert.deepEqual(live.slice(3, 7), ['lost0', 'lost1', 'lost2', 'lost3']);

    fs.unlinkSync(flag);
    // Idle, the store notices by itself within about a second.
    await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 10000, everyMs: 50, what: 'readyz 200' });
    assert.equal((await sendLogs(producer, batch('after', 2), 'r3')).payload.accepted, 2);
    assert.equal((await post(batch('after-http', 1))).status, 200);
    viewer.close();
    producer.close();
    await stopCleanly(server);

    server = await startServer({ toml: TEST_TOML, dataDir: server.dataDir });
    const stored = (await allStored(server)).map((e) => e.message.split(' ')[0]).reverse();
    assert.deepEqual(stored, ['before0', 'before1', 'before2', 'after0', 'after1', 'after-http0']);
    await stopCleanly(server);
  });
});
