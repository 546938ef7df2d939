// Limits and closing rules (docs/protocol.md "Limits", "Idle connections", "Closing for a reason"):
// frame limit 1009, 1001 for a silent connection. Slow consumers: protocol_slow.test.js.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { Client, as, history, TEST_TOML } = require('../support/client');

// A frame of exactly `bytes` bytes that the server answers with pong.
function pingOfSize(bytes) {
  const base = JSON.stringify({ type: 'ping', pad: '' }).length;
  return JSON.stringify({ type: 'ping', pad: 'p'.repeat(bytes - base) });
}

describe('frame limit (max_frame_bytes 4KiB)', () => {
  let server;
  before(async () => {
    server = await startServer({ toml: TEST_TOML, args: ['--max-frame-bytes', '4KiB'] });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('a frame of exactly max_frame_bytes is accepted', async () => {
    const c = await as(server.wsUrl, 'alice', 'app1');
    const frame = pingOfSize(4096);
    assert.equal(Buffer.byteLength(frame), 4096);
    await c.request(frame, 'pong');
    assert.ok(c.open);
    c.close();
  });

  test('a larger frame gets error/too_large, then close 1009 with a reason', async () => {
    const c = await as(server.wsUrl, 'alice', 'app1');
    c.send(pingOfSize(4097));
    const err = await c.next('error');
    assert.equal(err.payload.code, 'too_large');
    const { code, reason } = await c.waitClose();
    assert.equal(code, 1009);
    assert.ok(reason.length > 0);
    assert.deepEqual(c.take('pong'), []);
  });

  test('a message over the limit in several fragments is closed with 1009 too', async () => {
    const c = await as(server.wsUrl, 'alice', 'app1');
    const frame = pingOfSize(6000);
    c.send(frame.slice(0, 3000), { fin: false });
    c.send(frame.slice(3000), { fin: true });
    const err = await c.next('error');
    assert.equal(err.payload.code, 'too_large');
    assert.equal((await c.waitClose()).code, 1009);
  });

  test('the limit holds before auth as well', async () => {
    const c = await Client.connect(server.wsUrl);
    c.send(JSON.stringify({ type: 'auth', data: { userId: 'alice', appId: 'app1', token: 'alice-token', pad: 'x'.repeat(5000) } }));
    const err = await c.next('error');
    assert.equal(err.payload.code, 'too_large');
    assert.equal((await c.waitClose()).code, 1009);
    assert.deepEqual(c.take('auth_success'), []);
  });

  test('an oversized logs message stores nothing', async () => {
    const c = await as(server.wsUrl, 'alice', 'app1');
    c.send({ type: 'logs', data: { logs: Array.from({ length: 50 }, (_, i) => ({ message: `oversized ${i} ${'o'.repeat(100)}` })) } });
    await c.next('error');
    await c.waitClose();
    const d = await as(server.wsUrl, 'alice', 'app1');
    const h = await history(d);
    assert.ok(!h.payload.some((e) => e.message.startsWith('oversized')));
    d.close();
  });
});

describe('idle connections (idle_timeout 600ms)', () => {
  let server;
  before(async () => {
    server = await startServer({ toml: TEST_TOML, args: ['--idle-timeout', '600ms'] });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('a silent connection is closed with 1001; one that answers pings stays', async () => {
    const started = Date.now();
    const silent = await as(server.wsUrl, 'reader', 'app1', { options: { autoPong: false } });
    const answering = await as(server.wsUrl, 'alice', 'app1');  // ws answers pings, like a browser
    let pinged = 0;
    answering.ws.on('ping', () => pinged++);
    const { code, reason } = await silent.waitClose(5000);
    const after = Date.now() - started;
    assert.equal(code, 1001, `closed with ${code} "${reason}"`);
    assert.ok(reason.length > 0);
    assert.ok(after >= 550, `closed after ${after} ms, before idle_timeout`);
    // Three idle timeouts later the answering one is still there.
    await new Promise((r) => setTimeout(r, 1800));
    assert.ok(pinged >= 2, `the server pinged ${pinged} times`);
    await answering.sync();
    assert.ok(answering.open);
    answering.close();
  });
});
