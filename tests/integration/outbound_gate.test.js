// The outbound gate (docs/threading.md, "The outbound gate"): every frame a connection is owed
// is charged against its max_outbound_bytes, whatever path made it: live batches, metrics,
// app_metrics, history answers, pongs, errors. Hostile clients that never read are held to
// their bound (smartlog_outbound_queue_max_bytes in /metrics), and control messages are
// rate-limited per connection.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { metricValue } = require('../support/metrics');
const { as, sendLogs, history, waitFor, TEST_TOML } = require('../support/client');

const BOUND = 64 * 1024;
// What a connection may hold beyond its bound: one reply (a history page is at most a quarter
// of the bound) and its per-frame overhead.
const SLACK = BOUND / 4 + 64 * 1024;

async function metric(server, name) {
  const value = await metricValue(server.url, name);
  assert.ok(!Number.isNaN(value), `${name} in /metrics`);
  return value;
}

// Sends `count` frames as fast as the socket takes them, but never more than `inFlight` bytes
// waiting in the client: a server that stops reading stops the flood.
async function floodUntilStalled(client, frame, { count, stallMs = 300, timeoutMs = 15000 }) {
  const text = JSON.stringify(frame);
  let sent = 0;
  const deadline = Date.now() + timeoutMs;
  let stalledSince = null;
  while (sent < count && Date.now() < deadline) {
    if (client.ws.bufferedAmount > 256 * 1024) {
      stalledSince ??= Date.now();
      if (Date.now() - stalledSince > stallMs) break;
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    stalledSince = null;
    client.send(text);
    sent++;
  }
  return sent;
}

describe('the outbound gate (max_outbound_bytes 64KiB, no control rate limit)', () => {
  let server;
  before(async () => {
    server = await startServer({
      toml: TEST_TOML,
      args: ['--max-outbound-bytes', '64KiB', '--control-rate-limit', '0', '--idle-timeout', '30s',
        '--metrics-interval', '100ms'],
    });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('app_metrics to a viewer that reads nothing are skipped, not queued without end', async () => {
    const stuck = await as(server.wsUrl, 'reader', 'app1');
    const sender = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    const other = await as(server.wsUrl, 'alice', 'app2');
    stuck.ws._socket.pause();
    const metrics = { blob: 'm'.repeat(15 * 1024) };
    const skippedBefore = await metric(server, 'smartlog_shared_frames_skipped_total');
    // 2,000 × 15 KiB: 30 MiB offered to a viewer whose bound is 64 KiB.
    for (let i = 0; i < 2000; i++) sender.send({ type: 'send_metrics', data: { metrics } });
    await sender.sync(20000);
    assert.deepEqual(sender.take('error'), []);
    assert.ok(await metric(server, 'smartlog_shared_frames_skipped_total') > skippedBefore);
    assert.ok(await metric(server, 'smartlog_outbound_queue_max_bytes') <= BOUND + SLACK);
    // Another app's viewer is answered at once.
    await other.sync();
    stuck.ws._socket.resume();
    for (const c of [stuck, sender, other]) c.close();
  });

  test('a client that asks and never reads makes the server stop reading at the bound', async () => {
    const flooder = await as(server.wsUrl, 'user123', 'app456');
    flooder.ws._socket.pause();
    // Each 28-byte request_metrics is answered with about 800 bytes.
    const sent = await floodUntilStalled(flooder, { type: 'request_metrics' }, { count: 200000 });
    // The server stopped reading: not every request could be sent.
    assert.ok(sent < 200000, `all ${sent} requests were read`);
    const held = await metric(server, 'smartlog_outbound_queue_max_bytes');
    assert.ok(held <= BOUND + SLACK, `one connection holds ${held} bytes`);
    flooder.close();
  });

  test('history requests from a client that reads nothing are held to the bound', async () => {
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    for (let i = 0; i < 20; i++) {
      await sendLogs(producer, Array.from({ length: 10 }, (_, j) => ({ message: `h${i * 10 + j} ${'x'.repeat(4000)}` })));
    }
    const greedy = [];
    for (let i = 0; i < 5; i++) greedy.push(await as(server.wsUrl, 'reader', 'app1'));
    for (const g of greedy) {
      g.ws._socket.pause();
      await floodUntilStalled(g, { type: 'request_history' }, { count: 500 });
    }
    const held = await metric(server, 'smartlog_outbound_queue_max_bytes');
    assert.ok(held <= BOUND + SLACK, `one connection holds ${held} bytes`);
    for (const g of [producer, ...greedy]) g.close();
  });

  test('a large history answer arrives whole, in pages, oldest first', async () => {
    const producer = await as(server.wsUrl, 'user123', 'app456', { mode: 'producer' });
    const total = 300;
    for (let i = 0; i < total; i += 30) {
      await sendLogs(producer, Array.from({ length: 30 }, (_, j) => ({ message: `p${i + j} ${'y'.repeat(2000)}` })));
    }
    const viewer = await as(server.wsUrl, 'user123', 'app456');
    const answer = await history(viewer, {}, 10000);
    assert.ok(answer.pages > 1, `one page of ${answer.payload.length}`);
    assert.deepEqual(answer.payload.map((e) => e.message.split(' ')[0]), Array.from({ length: total }, (_, i) => `p${i}`));
    // Live again right after the last page, with nothing the answer held. (A live batch that
    // left before the request may hold some of the answer's entries: that one came earlier.)
    const lastPage = viewer.received.filter((m) => m.type === 'logs' && m.history === true).at(-1);
    await sendLogs(producer, [{ message: 'after pages' }]);
    const liveAfter = () => viewer.received.slice(viewer.received.indexOf(lastPage) + 1)
      .filter((m) => m.type === 'logs' && !m.history).flatMap((m) => m.payload.map((e) => e.message));
    await waitFor(() => liveAfter().includes('after pages'), { what: 'the live entry' });
    assert.deepEqual(liveAfter(), ['after pages']);
    for (const c of [producer, viewer]) c.close();
  });
});

describe('history meets live (batch_max_delay 10s: the live batch waits)', () => {
  let server;
  before(async () => {
    server = await startServer({ toml: TEST_TOML, args: ['--batch-max-delay', '10s', '--history-limit', '200'] });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('an answer holds the entries still waiting in the live batch; the live batch then skips them', async () => {
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    await sendLogs(producer, [{ message: 'a' }, { message: 'b' }]);
    const answer = await history(viewer);
    assert.deepEqual(answer.payload.map((e) => e.message), ['a', 'b']);
    await sendLogs(producer, [{ message: 'c' }]);
    // Fill the batch (256 entries) so it leaves now: only what the answer did not hold arrives.
    await sendLogs(producer, Array.from({ length: 253 }, (_, i) => ({ message: `f${i}` })));
    const live = await viewer.entries(254, 5000);
    assert.equal(live[0].message, 'c');
    assert.equal(live.length, 254);
    for (const c of [viewer, producer]) c.close();
  });

  test('after more entries than history_limit, an answer holds exactly the newest history_limit', async () => {
    const producer = await as(server.wsUrl, 'alice', 'app2', { mode: 'producer' });
    for (let i = 0; i < 300; i += 100) {
      await sendLogs(producer, Array.from({ length: 100 }, (_, j) => ({ message: `n${i + j}` })));
    }
    const answer = await history(producer);
    assert.equal(answer.payload.length, 200);
    assert.equal(answer.payload[0].message, 'n100');
    assert.equal(answer.payload.at(-1).message, 'n299');
    producer.close();
  });
});

describe('re-authentication', () => {
  let server;
  before(async () => {
    server = await startServer({ toml: TEST_TOML, args: ['--batch-max-delay', '1ms'] });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('to the same user and app keeps the filter; to another app resets it', async () => {
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    await viewer.request({ type: 'filter', filters: { level: ['error'] } }, 'filter_applied');
    await viewer.request({ type: 'auth', data: { userId: 'reader', appId: 'app1', token: 'reader-token' } }, 'auth_success');
    await sendLogs(producer, [{ level: 'info', message: 'quiet' }, { level: 'error', message: 'loud' }]);
    const [e] = await viewer.entries(1);
    assert.equal(e.message, 'loud');
    await viewer.sync();
    assert.deepEqual(viewer.take('logs'), []);
    for (const c of [viewer, producer]) c.close();
  });
});

describe('the control-message rate limit (10/s, burst 20)', () => {
  let server;
  before(async () => {
    server = await startServer({ toml: TEST_TOML, args: ['--control-rate-limit', '10', '--control-rate-burst', '20'] });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('a re-auth loop gets rate_limited, then a close with 1008 and a reason', async () => {
    const loop = await as(server.wsUrl, 'reader', 'app1');
    const auth = { type: 'auth', data: { userId: 'reader', appId: 'app1', token: 'reader-token' } };
    for (let i = 0; i < 200; i++) {
      loop.send(auth);
      loop.send({ type: 'get_last_actions' });
    }
    const { code, reason } = await loop.waitClose(5000);
    assert.equal(code, 1008);
    assert.match(reason, /control messages/);
    const successes = loop.received.filter((m) => m.type === 'auth_success').length;
    assert.ok(successes <= 21, `${successes} auth_success`);
    const limited = loop.received.filter((m) => m.type === 'error' && m.payload.code === 'rate_limited');
    assert.ok(limited.length > 0);
    assert.match(limited[0].payload.message, /control_rate_limit/);
    // Logs are not control messages: a producer is not held by this limit.
    const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
    for (let i = 0; i < 50; i++) {
      const ack = await sendLogs(producer, [{ message: `m${i}` }]);
      assert.equal(ack.payload.accepted, 1);
    }
    producer.close();
  });

  test('a large control message spends a token per 64 KiB of its text', async () => {
    // 200 KiB each: 1 + 3 tokens. The burst of 20, less the auth's token, serves 4 of them
    // (one more per 0.4 s the bucket had to refill on a slow machine), not 10.
    const bomber = await as(server.wsUrl, 'reader', 'app1');
    const padding = 'x'.repeat(200 * 1024);
    for (let i = 0; i < 10; i++) bomber.send({ type: 'ping', padding });
    const error = await bomber.next('error');
    assert.equal(error.payload.code, 'rate_limited');
    // Answers leave in order: every pong the server gave is in before the first refusal.
    const pongs = bomber.received.filter((m) => m.type === 'pong').length;
    assert.ok(pongs >= 4 && pongs <= 7, `${pongs} pongs for 10 pings of 200 KiB`);
    bomber.close();
  });
});
