// Credential hygiene: a token is taken only from the `auth` message and the
// Authorization header, never from a URL's query string; and no token, right or wrong, is ever
// written to the server's output (even at debug level) or to /metrics.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { Client, connectAs, sendLogs, sha256hex } = require('../support/client');

const TOKEN = 'Tk-7f3a9c1e-known-token';          // alice's real token
const WRONG = 'Tk-wrong-b84d2e06-guessed-token';  // what an attacker tries

const TOML = `
[[apps]]
id = "app1"

[[users]]
id = "alice"
token_sha256 = "${sha256hex(TOKEN)}"
apps = { app1 = ["read", "write", "clear"] }
`;

let server;
before(async () => {
  server = await startServer({ toml: TOML, args: ['--log-level', 'debug', '--batch-max-delay', '5ms'] });
});
after(async () => {
  await server.stop();
});

// Upgrades a raw socket and sends a frame with a reserved opcode: the server logs the protocol
// error at debug level, which proves debug lines reach the output this test searches.
function sendBadFrame() {
  const net = require('node:net');
  return new Promise((resolve) => {
    const s = net.connect(server.port, '127.0.0.1', () => {
      s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    });
    let seen = '';
    s.on('data', (d) => {
      seen += d.toString('latin1');
      if (seen.includes('\r\n\r\n') && !s.sentBad) {
        s.sentBad = true;
        s.write(Buffer.from([0x83, 0x80, 1, 2, 3, 4]));
      }
    });
    s.on('error', () => {});
    s.on('close', resolve);
    setTimeout(() => s.destroy(), 3000);
  });
}

async function authReply(client, data) {
  return client.request({ type: 'auth', data }, (m) => m.type === 'auth_success' || m.type === 'auth_error');
}

function http(pathAndQuery, { method = 'GET', headers = {}, body } = {}) {
  return fetch(`${server.url}${pathAndQuery}`, { method, headers, body })
    .then(async (res) => ({ status: res.status, text: await res.text() }));
}

describe('tokens in a query string do not authenticate', () => {
  test('WebSocket URL ?token=: the connection stays unauthenticated', async () => {
    const c = await Client.connect(`${server.wsUrl}?token=${TOKEN}`);
    const denied = await c.request({ type: 'request_history' }, 'error');
    assert.equal(denied.payload.code, 'unauthenticated');
    const reply = await authReply(c, { userId: 'alice', appId: 'app1' });
    assert.equal(reply.type, 'auth_error');
    assert.equal(reply.payload.code, 'invalid_credentials');
    c.close();
    const viaWs = await Client.connect(`${server.wsUrl}ws?access_token=${TOKEN}&token=${TOKEN}`);
    assert.equal((await authReply(viaWs, { userId: 'alice', appId: 'app1' })).type, 'auth_error');
    viaWs.close();
  });

  test('HTTP API ?token=: 401, nothing stored', async () => {
    const body = JSON.stringify([{ message: 'must not be stored' }]);
    const headers = { 'X-Smartlog-User': 'alice', 'X-Smartlog-App': 'app1', 'Content-Type': 'application/json' };
    for (const q of [`api/v1/logs?token=${TOKEN}`, `api/v1/logs?app=app1&access_token=${TOKEN}&token=${TOKEN}`]) {
      const r = await http(q, { method: 'POST', headers, body });
      assert.equal(r.status, 401, r.text);
    }
    const read = await http(`api/v1/logs?app=app1&token=${TOKEN}`, { headers: { 'X-Smartlog-User': 'alice' } });
    assert.equal(read.status, 401, read.text);
    const del = await http(`api/v1/logs?app=app1&token=${TOKEN}`, { method: 'DELETE', headers: { 'X-Smartlog-User': 'alice' } });
    assert.equal(del.status, 401, del.text);
    const stored = await http('api/v1/logs?app=app1', { headers: { 'X-Smartlog-User': 'alice', Authorization: `Bearer ${TOKEN}` } });
    assert.equal(stored.status, 200, stored.text);
    assert.doesNotMatch(stored.text, /must not be stored/);
  });
});

test('no token reaches the server output or /metrics, even at debug level', async () => {
  // Exercise every path a token travels: right and wrong, WebSocket and HTTP, header and URL.
  const ok = await connectAs(server.wsUrl, 'alice', 'app1', { token: TOKEN });
  await sendLogs(ok, [{ message: 'hello' }]);
  const wrong = await Client.connect(server.wsUrl);
  assert.equal((await authReply(wrong, { userId: 'alice', appId: 'app1', token: WRONG })).type, 'auth_error');
  wrong.send({ type: 'check_status', data: { userId: 'alice', appId: 'app1', token: WRONG } });
  await wrong.next('status_response');
  wrong.send({ type: 'auth', data: { userId: 'alice', appId: 'app1', token: 42 } });
  await wrong.next('auth_error');
  wrong.close();
  const url = await Client.connect(`${server.wsUrl}?token=${WRONG}`);
  url.close();
  await http('api/v1/logs', { method: 'POST', headers: { 'X-Smartlog-User': 'alice', 'X-Smartlog-App': 'app1',
    Authorization: `Bearer ${WRONG}` }, body: '[{"message":"x"}]' });
  await http(`api/v1/logs?app=app1&token=${WRONG}`, { headers: { 'X-Smartlog-User': 'alice', Authorization: `Bearer ${TOKEN}` } });
  await http('api/v1/logs', { method: 'POST', headers: { 'X-Smartlog-User': 'alice', 'X-Smartlog-App': 'app1',
    Authorization: `Bearer ${TOKEN}` }, body: 'not json' });
  const metrics = await http('metrics');
  assert.equal(metrics.status, 200);
  await sendBadFrame();
  ok.close();
  await server.stop();

  const output = server.output();
  assert.match(output, /debug.*ws session/i, `no debug line in the output:\n${output}`);
  for (const secret of [TOKEN, WRONG, sha256hex(TOKEN), sha256hex(WRONG)]) {
    assert.equal(output.includes(secret), false, `server output holds ${secret}`);
    assert.equal(metrics.text.includes(secret), false, `/metrics holds ${secret}`);
  }
});
