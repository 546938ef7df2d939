// Crash safety of durability=sync against the real smartlogd (docs/storage.md, "What each mode
// can lose"): SMARTLOG_CRASH_REPEAT (default 20) times, a producer sends continuously with refs,
// the server is killed with SIGKILL mid-stream and restarted on the same data_dir; every entry
// ever acknowledged must be stored. Like a real producer, it sends the batches that were in
// flight at the kill again after the restart: those that had been committed without their ack
// reaching it become duplicates, counted apart (they are not a loss). Seeded: SMARTLOG_CRASH_SEED.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { as, waitFor, TEST_TOML } = require('../support/client');
const { rng } = require('../support/random');

const REPEAT = Number(process.env.SMARTLOG_CRASH_REPEAT || 20);
const SEED = Number(process.env.SMARTLOG_CRASH_SEED || Date.now() % 1000000);
const PER_BATCH = 20;
const IN_FLIGHT = 8;

const headers = {
  Authorization: 'Bearer alice-token', 'X-Smartlog-User': 'alice', 'X-Smartlog-App': 'app1',
};

// How many times each message is stored for app1 (paging the HTTP query).
async function storedCounts(server) {
  const counts = new Map();
  let before = null;
  for (;;) {
    const url = `${server.url}api/v1/logs?app=app1&limit=1000${before ? `&before=${before}` : ''}`;
    const res = await fetch(url, { headers });
    assert.equal(res.status, 200);
    const page = await res.json();
    for (const e of page.logs) counts.set(e.message, (counts.get(e.message) || 0) + 1);
    if (!page.nextBefore) return counts;
    before = page.nextBefore;
  }
}

test(`durability=sync: ${REPEAT} SIGKILLs under load lose no acknowledged entry`, { timeout: 170000 }, async () => {
  console.log(`crash test seed ${SEED} (SMARTLOG_CRASH_SEED=${SEED} repeats it)`);
  const random = rng(SEED);
  const started = Date.now();
  const acked = new Set();      // every message ever acknowledged
  const sent = new Set();       // every message ever sent
  const everUnacked = new Set(); // in flight at some kill
  let retry = [];                // batches in flight at the last kill, sent again next time
  let nextBatch = 0;
  let dataDir;
  let lastCounts = new Map();

  const check = (counts, when) => {
    const lost = [...acked].filter((m) => !counts.has(m));
    assert.equal(lost.length, 0, `${when}: ${lost.length} acknowledged entries lost, e.g. ${lost.slice(0, 3)}`);
    for (const [m, n] of counts) {
      assert.ok(sent.has(m), `${when}: stored an entry never sent: ${m}`);
      if (n > 1) assert.ok(everUnacked.has(m), `${when}: ${m} stored ${n} times but was acknowledged at once`);
    }
  };

  for (let cycle = 0; cycle < REPEAT; cycle++) {
    const server = await startServer({ toml: TEST_TOML, dataDir, args: ['--durability', 'sync', '--log-level', 'warn'] });
    dataDir = server.dataDir;
    if (cycle > 0) {
      lastCounts = await storedCounts(server);
      check(lastCounts, `restart ${cycle}`);
    }
    const producer = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
    const inFlight = new Map();  // ref -> messages
    const queue = retry;
    retry = [];
    let refs = 0;
    const sendOne = () => {
      let messages = queue.shift();
      if (!messages) {
        messages = Array.from({ length: PER_BATCH }, (_, i) => `b${nextBatch}-${i}`);
        nextBatch++;
      }
      const ref = `c${cycle}-${refs++}`;
      inFlight.set(ref, messages);
      messages.forEach((m) => sent.add(m));
      producer.send({ type: 'logs', ref, data: { logs: messages.map((message) => ({ message })) } });
    };
    let ackedThisCycle = 0;
    producer.ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type !== 'logs_ack') return;
      const messages = inFlight.get(msg.payload.ref);
      if (!messages) return;
      inFlight.delete(msg.payload.ref);
      assert.equal(msg.payload.accepted, messages.length, JSON.stringify(msg.payload));
      messages.forEach((m) => acked.add(m));
      ackedThisCycle += messages.length;
      sendOne();
    });
    for (let i = 0; i < IN_FLIGHT; i++) sendOne();
    // Kill at a random moment once some entries are acknowledged: between 1 and 15 batches.
    const killAfter = PER_BATCH * (1 + Math.floor(random() * 15));
    await waitFor(() => ackedThisCycle >= killAfter, { timeoutMs: 20000, everyMs: 1, what: `${killAfter} acks` });
    server.proc.kill('SIGKILL');
    const { signal } = await server.exited;
    assert.equal(signal, 'SIGKILL');
    producer.close();
    // Acks that arrive after the kill are impossible; whatever is still in flight is unknown.
    for (const messages of inFlight.values()) {
      messages.forEach((m) => everUnacked.add(m));
      retry.push(messages);
    }
  }

  const server = await startServer({ toml: TEST_TOML, dataDir, args: ['--durability', 'sync', '--log-level', 'warn'] });
  const counts = await storedCounts(server);
  check(counts, 'final restart');
  const { code } = await server.stop();
  assert.equal(code, 0, server.output());
  let duplicates = 0;
  let unackedStored = 0;
  for (const [m, n] of counts) {
    duplicates += n - 1;
    if (!acked.has(m)) unackedStored++;
  }
  const notStored = [...sent].filter((m) => !counts.has(m)).length;
  console.log(`crash test: ${REPEAT} SIGKILLs in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
    `${acked.size} entries acknowledged, 0 lost; ${sent.size} sent; ${[...counts.values()].reduce((a, b) => a + b, 0)} rows stored; ` +
    `${duplicates} duplicates (in flight at a kill, committed, sent again); ` +
    `${unackedStored} stored without an ack; ${notStored} sent but never stored (in flight at the last kill)`);
});
