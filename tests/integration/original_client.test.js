// The clients of the original NehonixSmartLogger project, frame for frame, against the real
// smartlogd. The frames are built from what its source (github.com/NEHONIX/NehonixSmartLogger,
// commit fa01d6f) sends and reads:
// - the library (src/logger.ts): `auth` without mode or token; one `logs` message per entry,
//   with a hex `id` of its own, an ISO-8601 `timestamp`, levels `error warn info log debug`
//   (`log` is its default), `metadata` = the first object argument; in encryption mode the
//   entry's message is AES-256-CBC ciphertext "iv:data" in hex with `encrypted: true`, and
//   `data.encryption = {isEncrypted, transmissionKey, encryptedKey}` beside `logs`;
//   `send_metrics` with `data.timestamp` an ISO string; right after `auth_success` it sends
//   its pending logs, then `{type:"history", ws_sent_config:{response_type:"request_history"}}`
//   and reads the answer as `{type:"request_history", payload:{logs}}`. It never reads
//   `logs_ack` nor `error`.
// - the console (web/client/src/hooks/useWebSocket.ts): `auth`, then `check_status` every 4 s;
//   every successful `status_response` makes it send `auth` again (same user and app); every
//   `auth_success` makes it send `{type:"get_last_actions"}`; `filter` as
//   `{data:{userId, appId, level}}`; `history` as `{type:"history", data:{userId, appId}}`,
//   read back from a `logs` message whose `payload` is the array; `command` messages.
'use strict';
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer } = require('../support/server');
const { Client } = require('../support/client');

// ---- the original clients' frames ---------------------------------------------------------

function hexId() {
  return crypto.randomBytes(16).toString('hex');
}

// A library log call's entry: `log(level, ...messages)`.
function libraryEntry(level, ...messages) {
  const entry = {
    id: hexId(),
    timestamp: new Date().toISOString(),
    level,
    message: messages.map((m) => (typeof m === 'object' ? JSON.stringify(m) : String(m))).join(' '),
    metadata: messages.find((m) => typeof m === 'object'),
  };
  return entry;
}

const library = {
  auth: (userId, appId) => ({ type: 'auth', data: { userId, appId } }),
  // JSON.stringify drops `encryption: undefined`, as the library's own send does.
  logs: (userId, appId, entry, encryption) => ({
    type: 'logs', data: { userId, appId, logs: [entry], encryption },
  }),
  history: (userId, appId) => ({
    type: 'history', ws_sent_config: { response_type: 'request_history' }, data: { userId, appId },
  }),
  metrics: (userId, appId, metrics) => ({
    type: 'send_metrics', data: { userId, appId, metrics, timestamp: new Date().toISOString() },
  }),
};

const consoleFrames = {
  auth: (userId, appId) => ({ type: 'auth', data: { userId, appId } }),
  checkStatus: (userId, appId) => ({ type: 'check_status', data: { userId, appId } }),
  getLastActions: () => ({ type: 'get_last_actions' }),
  filter: (userId, appId, level) => ({ type: 'filter', data: { userId, appId, level } }),
  history: (userId, appId) => ({ type: 'history', data: { userId, appId } }),
  command: (userId, appId, type, data) => ({ type: 'command', data: { userId, appId, type, data } }),
};

// Its encryption service: AES-256-CBC, hex key, "iv:ciphertext" in hex.
function encrypt(text, keyHex) {
  const iv = crypto.randomBytes(16);
  const cipher = crypto.createCipheriv('aes-256-cbc', Buffer.from(keyHex, 'hex'), iv);
  return `${iv.toString('hex')}:${cipher.update(text, 'utf8', 'hex')}${cipher.final('hex')}`;
}

function decrypt(text, keyHex) {
  const [iv, data] = text.split(':');
  const decipher = crypto.createDecipheriv('aes-256-cbc', Buffer.from(keyHex, 'hex'), Buffer.from(iv, 'hex'));
  return decipher.update(data, 'hex', 'utf8') + decipher.final('utf8');
}

// An encrypted send: the entry's message under the app's key, that key under a fresh
// transmission key, both keys beside `logs`.
function encryptedSend(userId, appId, entry, appKey) {
  const transmissionKey = crypto.randomBytes(32).toString('hex');
  const encryptedKey = encrypt(appKey, transmissionKey);
  return library.logs(userId, appId, { ...entry, message: encrypt(entry.message, appKey), encrypted: true },
    { isEncrypted: true, transmissionKey, encryptedKey });
}

async function connect(server, frames, userId, appId) {
  const client = await Client.connect(server.wsUrl);
  const reply = await client.request(frames.auth(userId, appId), (m) => m.type === 'auth_success' || m.type === 'auth_error');
  assert.equal(reply.type, 'auth_success', JSON.stringify(reply));
  return client;
}

// The console's cadence once: check_status, auth again on success, get_last_actions after it.
async function consoleRound(client, userId, appId) {
  const status = await client.request(consoleFrames.checkStatus(userId, appId), 'status_response');
  assert.equal(status.payload.success, true);
  await client.request(consoleFrames.auth(userId, appId), 'auth_success');
  const refused = await client.request(consoleFrames.getLastActions(), 'error');
  assert.equal(refused.payload.code, 'bad_request', 'its cadence is well within the control-message limit');
}

// Live entries (non-history `logs`) until one has `message`.
async function liveUntil(client, message, timeoutMs = 5000) {
  const out = [];
  const deadline = Date.now() + timeoutMs;
  while (!out.some((e) => e.message === message)) {
    const batch = await client.next((m) => m.type === 'logs' && !m.history, Math.max(1, deadline - Date.now()));
    out.push(...batch.payload);
  }
  return out;
}

// ---- tests ---------------------------------------------------------------------------------

describe('the original NehonixSmartLogger clients', () => {
  let server;
  before(async () => {
    server = await startServer({ args: ['--metrics-interval', '1s'] });
  });
  after(() => server.stop());

  test('the library: its entries are kept as sent and its history event fires, with what it just sent', async () => {
    const lib = await connect(server, library, 'user123', 'lib-app');
    // What it does on auth_success: its pending logs, then the history request, no wait.
    const sent = [
      libraryEntry('error', 'payment failed', { orderId: 42 }),
      libraryEntry('warn', 'slow query', { ms: 812 }),
      libraryEntry('info', 'user signed in'),
      libraryEntry('log', 'plain log call', ['a', 1]),
      libraryEntry('debug', 'cache miss', null),
    ];
    for (const e of sent) lib.send(library.logs('user123', 'lib-app', e));
    const answer = await lib.request(library.history('user123', 'lib-app'), 'request_history');
    assert.equal(answer.history, true);
    assert.ok(answer.payload && Array.isArray(answer.payload.logs), JSON.stringify(answer).slice(0, 200));
    const logs = answer.payload.logs;
    assert.deepEqual(logs.map((e) => e.level), ['error', 'warn', 'info', 'log', 'debug']);
    assert.deepEqual(logs.map((e) => e.message), sent.map((e) => e.message));
    assert.deepEqual(logs.map((e) => e.timestamp), sent.map((e) => Date.parse(e.timestamp)));
    assert.deepEqual(logs[0].metadata, { orderId: 42 });
    assert.deepEqual(logs[3].metadata, ['a', 1]);
    assert.equal(logs[4].metadata, null);
    for (const e of logs) {
      assert.equal(e.appId, 'lib-app');
      assert.equal(e.userId, 'user123');
      assert.notEqual(e.id, sent[0].id, 'ids are the server\'s');
    }

    // It is a viewer (it sends no mode): the live batches after its history answer skip what
    // the answer held. (A batch may have left before the request was read: that one came first.)
    const marker = libraryEntry('log', 'after the history');
    lib.send(library.logs('user123', 'lib-app', marker));
    await liveUntil(lib, marker.message);
    const later = lib.received.slice(lib.received.indexOf(answer) + 1)
      .filter((m) => m.type === 'logs' && !m.history).flatMap((m) => m.payload);
    assert.deepEqual(later.map((e) => e.message), [marker.message], 'no entry twice');
    assert.deepEqual(lib.take('error'), [], 'nothing refused');
    lib.close();
  });

  test('the library: send_metrics with an ISO-8601 timestamp reaches the viewers', async () => {
    const viewer = await connect(server, consoleFrames, 'user123', 'metrics-app');
    const lib = await connect(server, library, 'user123', 'metrics-app');
    const frame = library.metrics('user123', 'metrics-app', { cpu: { usage: 12.5, cores: 2 }, messageRate: 3 });
    lib.send(frame);
    const pushed = await viewer.next('app_metrics');
    assert.equal(pushed.payload.timestamp, Date.parse(frame.data.timestamp));
    assert.deepEqual(pushed.payload.metrics, frame.data.metrics);
    await lib.sync();
    assert.deepEqual(lib.take('error'), []);
    // A string that is not a time is still refused, and says what it takes.
    lib.send({ type: 'send_metrics', data: { metrics: {}, timestamp: 'soon' } });
    const refused = await lib.next('error');
    assert.equal(refused.payload.code, 'bad_request');
    assert.match(refused.payload.message, /ISO-8601/);
    lib.close();
    viewer.close();
  });

  test('the console: re-authenticating every few seconds keeps its filter and its place in the stream', async () => {
    const con = await connect(server, consoleFrames, 'user123', 'console-app');
    const lib = await connect(server, library, 'user123', 'console-app');
    await con.request(consoleFrames.filter('user123', 'console-app', ['error']), 'filter_applied');
    await consoleRound(con, 'user123', 'console-app');
    await consoleRound(con, 'user123', 'console-app');
    for (const [level, text] of [['info', 'i1'], ['error', 'e1'], ['log', 'l1'], ['debug', 'd1'], ['error', 'e2']]) {
      lib.send(library.logs('user123', 'console-app', libraryEntry(level, text)));
    }
    const live = await liveUntil(con, 'e2');
    assert.deepEqual(live.map((e) => e.message), ['e1', 'e2'], 'the filter still holds');

    // Entries flowing while it re-authenticates arrive once each, in order.
    await con.request(consoleFrames.filter('user123', 'console-app', []), 'filter_applied');
    const texts = Array.from({ length: 30 }, (_, i) => `flow ${i}`);
    for (const [i, text] of texts.entries()) {
      lib.send(library.logs('user123', 'console-app', libraryEntry('log', text)));
      if (i % 5 === 2) con.send(consoleFrames.auth('user123', 'console-app'));
    }
    const flowed = await liveUntil(con, texts.at(-1));
    assert.deepEqual(flowed.map((e) => e.message), texts);

    // Another app is another stream: the filter starts afresh there.
    await con.request(consoleFrames.filter('user123', 'console-app', ['error']), 'filter_applied');
    await con.request(consoleFrames.auth('user123', 'other-app'), 'auth_success');
    const other = await connect(server, library, 'user123', 'other-app');
    other.send(library.logs('user123', 'other-app', libraryEntry('info', 'o1')));
    assert.deepEqual((await liveUntil(con, 'o1')).map((e) => e.message), ['o1']);
    for (const c of [con, lib, other]) c.close();
  });

  test('the console: history in the seed\'s shape, its level filter with `log`', async () => {
    const lib = await connect(server, library, 'user123', 'levels-app');
    for (const level of ['error', 'warn', 'info', 'log', 'debug']) {
      lib.send(library.logs('user123', 'levels-app', libraryEntry(level, `at ${level}`)));
    }
    await lib.sync();
    const con = await connect(server, consoleFrames, 'user123', 'levels-app');
    const all = await con.request(consoleFrames.history('user123', 'levels-app'), (m) => m.type === 'logs' && m.history);
    assert.ok(Array.isArray(all.payload), 'payload is the array the console reads');
    assert.equal(all.payload.length, 5);
    await con.request(consoleFrames.filter('user123', 'levels-app', ['log']), 'filter_applied');
    const logOnly = await con.request(consoleFrames.history('user123', 'levels-app'), (m) => m.type === 'logs' && m.history);
    assert.deepEqual(logOnly.payload.map((e) => e.message), ['at log']);
    con.close();
    lib.close();
  });

  test('the console: messages smartlogd does not know get bad_request, through the control-message limit', async () => {
    const con = await connect(server, consoleFrames, 'user123', 'unknown-app');
    for (const frame of [consoleFrames.getLastActions(),
      consoleFrames.command('user123', 'unknown-app', 'console_toggle', { enabled: false }),
      { type: 'connect', payload: { userId: 'user123', appId: 'unknown-app' } }]) {
      const refused = await con.request(frame, 'error');
      assert.equal(refused.payload.code, 'bad_request', JSON.stringify(refused));
      assert.match(refused.payload.message, /unknown message type/);
    }
    // A console stuck in a loop (here 400 at once) is not answered at its pace: past
    // control_rate_limit (50/s by default) it gets rate_limited, and if it keeps on it is closed.
    for (let i = 0; i < 400; i++) con.send(consoleFrames.getLastActions());
    const closed = await con.waitClose(10000);
    assert.equal(closed.code, 1008);
    const codes = con.received.filter((m) => m.type === 'error').map((m) => m.payload.code);
    assert.ok(codes.includes('rate_limited'), JSON.stringify(codes.slice(-5)));
    assert.ok(codes.every((c) => c === 'bad_request' || c === 'rate_limited'));
    assert.ok(codes.filter((c) => c === 'bad_request').length < 400, 'not every one was answered as if it were alone');
  });

  test('the library: an entry it cannot know was refused shows in the app\'s metrics and /metrics', async () => {
    const lib = await connect(server, library, 'user123', 'rejects-app');
    lib.send(library.logs('user123', 'rejects-app', libraryEntry('info', 'too much', { blob: 'x'.repeat(17 * 1024) })));
    lib.send(library.logs('user123', 'rejects-app', libraryEntry('info', 'fine')));
    await lib.sync();
    // It is a viewer: the next metrics push it gets was sampled after the refusal.
    const pushed = await lib.next('metrics', 5000);
    assert.equal(pushed.payload.rejectedEntries, 1);
    for (const key of ['timestamp', 'cpu', 'memory', 'disk', 'network', 'activeConnections', 'messageRate', 'errorRate']) {
      assert.ok(key in pushed.payload, `${key}: the seed's fields stay`);
    }
    const text = await (await fetch(`${server.url}metrics`)).text();
    assert.match(text, /smartlog_entries_rejected_total\{app="rejects-app"\} 1\n/);
    lib.close();
  });

  test('a burst right after an app\'s creation shows in messageRate and errorRate', async () => {
    const lib = await connect(server, library, 'user123', 'burst-app');
    const burst = Array.from({ length: 100 }, (_, i) => libraryEntry(i % 2 ? 'error' : 'log', `burst ${i}`));
    const ack = await lib.request({ type: 'logs', data: { logs: burst } }, 'logs_ack');
    assert.equal(ack.payload.accepted, 100);
    // Same connection: this push was sampled after the burst was counted.
    const pushed = await lib.next('metrics', 5000);
    assert.ok(pushed.payload.messageRate > 0, JSON.stringify(pushed.payload));
    assert.ok(pushed.payload.errorRate > 0, JSON.stringify(pushed.payload));
    lib.close();
  });
});

test('the library\'s encryption mode: the entry keeps its mark and keys, across a restart', async () => {
  let server = await startServer();
  const appKey = crypto.randomBytes(32).toString('hex');
  const viewer = await connect(server, consoleFrames, 'user123', 'secret-app');
  const lib = await connect(server, library, 'user123', 'secret-app');
  const plain = libraryEntry('log', 'card 4111 charged', { orderId: 7 });
  const frame = encryptedSend('user123', 'secret-app', plain, appKey);
  lib.send(frame);
  lib.send(library.logs('user123', 'secret-app', libraryEntry('info', 'in clear')));
  const live = await liveUntil(viewer, 'in clear');
  const check = (e) => {
    assert.equal(e.encrypted, true);
    assert.equal(e.message, frame.data.logs[0].message, 'the ciphertext, as sent');
    assert.deepEqual(e.encryption, {
      transmissionKey: frame.data.encryption.transmissionKey,
      encryptedKey: frame.data.encryption.encryptedKey,
    });
    // What a reader holding the keys does: the app key, then the message.
    const key = decrypt(e.encryption.encryptedKey, e.encryption.transmissionKey);
    assert.equal(decrypt(e.message, key), plain.message);
  };
  check(live[0]);
  assert.equal(live[1].encrypted, undefined, 'an entry in clear carries no mark');
  assert.equal(live[1].encryption, undefined);
  viewer.close();
  lib.close();

  await server.stop();
  server = await startServer({ dataDir: server.dataDir });
  try {
    const again = await connect(server, consoleFrames, 'user123', 'secret-app');
    const answer = await again.request({ type: 'request_history' }, (m) => m.type === 'logs' && m.history);
    assert.equal(answer.payload.length, 2);
    check(answer.payload[0]);
    const page = await (await fetch(`${server.url}api/v1/logs?app=secret-app`, {
      headers: { 'X-Smartlog-User': 'user123' },
    })).json();
    check(page.logs.find((e) => e.encrypted));
    // Malformed keys refuse the whole message: nothing is stored.
    const bad = await again.request({ type: 'logs', ref: 9, data: { logs: [{ message: 'x', encrypted: true }], encryption: 'yes' } }, 'error');
    assert.equal(bad.payload.code, 'bad_request');
    assert.equal(bad.payload.ref, 9);
    const after = await again.request({ type: 'request_history' }, (m) => m.type === 'logs' && m.history);
    assert.equal(after.payload.length, 2);
    again.close();
  } finally {
    await server.stop();
  }
});
