// permessage-deflate: off unless ws_deflate is set; when on, max_frame_bytes counts
// the inflated bytes, so a small compressed message that inflates past it is refused.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { as, sendLogs, TEST_TOML } = require('../support/client');

// `ws` offers permessage-deflate by default; threshold 0 compresses every message.
const OFFER = { perMessageDeflate: { threshold: 0 } };

function pingOfSize(bytes) {
  const base = JSON.stringify({ type: 'ping', pad: '' }).length;
  return JSON.stringify({ type: 'ping', pad: 'p'.repeat(bytes - base) });
}

describe('by default', () => {
  let server;
  before(async () => { server = await startServer({ toml: TEST_TOML }); });
  after(async () => { await server.stop(); });

  test('a client offering permessage-deflate gets no extension', async () => {
    const c = await as(server.wsUrl, 'alice', 'app1', { options: OFFER });
    assert.equal(c.ws.extensions, '');
    await c.sync();
    c.close();
  });
});

describe('with ws_deflate = true and max_frame_bytes 64KiB', () => {
  let server;
  before(async () => {
    server = await startServer({
      toml: `[server]\nws_deflate = true\nmax_frame_bytes = "64KiB"\n${TEST_TOML}`,
      args: ['--batch-max-delay', '5ms'],
    });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, server.output());
  });

  test('the extension is negotiated and compressed messages work both ways', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app1', { options: OFFER });
    const producer = await as(server.wsUrl, 'alice', 'app1', { options: OFFER, mode: 'producer' });
    assert.match(viewer.ws.extensions, /permessage-deflate/);
    const ack = await sendLogs(producer, [{ message: 'z'.repeat(30000) }]);
    assert.equal(ack.payload.accepted, 1);
    const [entry] = await viewer.entries(1);
    assert.equal(entry.message.length, 30000);
    for (const c of [viewer, producer]) c.close();
  });

  test('a message under 1 KiB leaves uncompressed, a larger one compressed', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app1', { options: OFFER });
    const producer = await as(server.wsUrl, 'alice', 'app1', { options: OFFER, mode: 'producer' });
    const received = async (message) => {
      const before = viewer.ws._socket.bytesRead;
      await sendLogs(producer, [{ message }]);
      const [entry] = await viewer.entries(1);
      assert.equal(entry.message, message);
      return viewer.ws._socket.bytesRead - before;
    };
    // Its `logs` frame is about 800 bytes: on the wire whole (other small frames may come too).
    const small = await received('y'.repeat(600));
    assert.ok(small >= 600, `a small message was compressed: ${small} bytes read`);
    const large = await received('y'.repeat(3000));
    assert.ok(large < 1500, `a 3 KB message was not compressed: ${large} bytes read`);
    for (const c of [viewer, producer]) c.close();
  });

  test('a message of exactly max_frame_bytes inflated is accepted', async () => {
    const c = await as(server.wsUrl, 'alice', 'app1', { options: OFFER });
    await c.request(pingOfSize(64 * 1024), 'pong');
    assert.ok(c.open);
    c.close();
  });

  test('a small compressed message inflating past max_frame_bytes gets too_large, then 1009', async () => {
    const c = await as(server.wsUrl, 'alice', 'app1', { options: OFFER });
    const socket = c.ws._socket;
    const before = socket.bytesWritten;
    c.send(pingOfSize(4 << 20));  // 4 MiB of JSON, a few KiB on the wire
    const err = await c.next('error');
    const onWire = socket.bytesWritten - before;
    assert.ok(onWire < 64 * 1024, `the message was not compressed below the limit: ${onWire} bytes sent`);
    assert.equal(err.payload.code, 'too_large');
    const { code, reason } = await c.waitClose();
    assert.equal(code, 1009);
    assert.ok(reason.length > 0);
    assert.deepEqual(c.take('pong'), []);
  });
});
