// TLS: with tls_cert and tls_key the one port speaks wss:// and https:// only; a
// plain-text client gets a readable 400; a stalled handshake is cut; bad files are refused at
// start naming the setting. Certificates are made at test time with the openssl command.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const tls = require('node:tls');
const WebSocket = require('ws');
const { startServer, binary } = require('../support/server');
const { as, sendLogs, history, TEST_TOML } = require('../support/client');

// A self-signed certificate for 127.0.0.1 and localhost, and its key, in `dir`.
function makeCert(dir, name = 'server') {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key, ca: fs.readFileSync(cert) };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smartlog-tls-'));
const good = makeCert(dir);
const other = makeCert(dir, 'other');

// Resolves {status, body} of an https request trusting `ca`.
function request(url, { method = 'GET', headers = {}, body, ca = good.ca } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('https request timed out')));
    req.end(body);
  });
}

// What a plain http:// or ws:// client reads from the TLS port: the status and body of the answer.
function plainUpgrade(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.on('unexpected-response', (req, res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => { resolve({ status: res.statusCode, body: text }); ws.terminate(); });
    });
    ws.on('open', () => { ws.terminate(); reject(new Error('a plain ws:// client got through')); });
    ws.on('error', (e) => reject(e));
  });
}

describe('a TLS server', () => {
  let server;
  before(async () => {
    server = await startServer({
      toml: TEST_TOML,
      args: ['--tls-cert', good.cert, '--tls-key', good.key, '--request-timeout', '400ms', '--batch-max-delay', '5ms'],
    });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, server.output());
  });

  test('announces https:// and wss:// at start', () => {
    assert.match(server.output(), /listening on https:\/\/127\.0\.0\.1:\d+\/ \(WebSocket wss:\/\/127\.0\.0\.1:\d+\/\)/);
    assert.match(server.wsUrl, /^wss:/);
  });

  test('wss://: auth, logs round-trip live and in history', async () => {
    const options = { ca: good.ca };
    const viewer = await as(server.wsUrl, 'alice', 'app1', { options });
    const producer = await as(server.wsUrl, 'writer', 'app1', { options, mode: 'producer' });
    const ack = await sendLogs(producer, [{ message: 'over tls', level: 'warn' }, { message: 'second' }], 'r1');
    assert.deepEqual(ack.payload, { ref: 'r1', accepted: 2, rejected: [] });
    const live = await viewer.entries(2);
    assert.deepEqual(live.map((e) => [e.message, e.level, e.userId]), [['over tls', 'warn', 'writer'], ['second', 'info', 'writer']]);
    const later = await as(server.wsUrl, 'reader', 'app1', { options });
    const h = await history(later);
    assert.deepEqual(h.payload.map((e) => e.message).slice(-2), ['over tls', 'second']);
    const resumed = await history(later, { afterId: live[0].id });
    assert.deepEqual(resumed.payload.map((e) => e.message), ['second']);
    assert.equal(resumed.gap, undefined);
    for (const c of [viewer, producer, later]) c.close();
  });

  test('wss:// with a wrong token is refused as over plain ws://', async () => {
    await assert.rejects(as(server.wsUrl, 'alice', 'app1', { token: 'nope', options: { ca: good.ca } }),
      /invalid_credentials/);
  });

  test('a client that does not trust the certificate cannot connect', async () => {
    await assert.rejects(as(server.wsUrl, 'alice', 'app1', { options: { ca: other.ca } }),
      /self-signed|certificate/i);
  });

  test('https://: GET /healthz and POST /api/v1/logs', async () => {
    const health = await request(`${server.url}healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
    const posted = await request(`${server.url}api/v1/logs`, {
      method: 'POST',
      headers: { Authorization: 'Bearer alice-token', 'X-Smartlog-User': 'alice', 'X-Smartlog-App': 'app2',
        'Content-Type': 'application/json' },
      body: JSON.stringify([{ message: 'via https' }]),
    });
    assert.equal(posted.status, 200, posted.body);
    assert.deepEqual(JSON.parse(posted.body), { accepted: 1, rejected: [] });
    const viewer = await as(server.wsUrl, 'alice', 'app2', { options: { ca: good.ca } });
    const h = await history(viewer);
    assert.ok(h.payload.some((e) => e.message === 'via https'), JSON.stringify(h.payload));
    viewer.close();
  });

  test('a plain ws:// client is refused with a readable 400', async () => {
    const r = await plainUpgrade(server.port);
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body).error.message, /TLS only: use https:\/\/ or wss:\/\//);
  });

  test('a plain http:// request is refused with a readable 400', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /TLS only/);
  });

  test('TLS 1.1 and older are refused', async () => {
    // SECLEVEL=0 lets this client offer TLS 1.0/1.1; the refusal is the server's.
    const err = await new Promise((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: server.port, ca: good.ca, minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
      s.on('secureConnect', () => { s.destroy(); resolve(null); });
      s.on('error', resolve);
    });
    assert.ok(err, 'a TLS 1.1 handshake succeeded');
    const ok = await new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: server.port, ca: good.ca, maxVersion: 'TLSv1.2' });
      s.on('secureConnect', () => { const v = s.getProtocol(); s.destroy(); resolve(v); });
      s.on('error', reject);
    });
    assert.equal(ok, 'TLSv1.2');
  });

  test('a handshake that stalls is cut at request_timeout', async () => {
    for (const first of [Buffer.alloc(0), Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01])]) {
      const closed = await new Promise((resolve) => {
        const s = net.connect(server.port, '127.0.0.1', () => s.write(first));
        s.on('error', () => {});
        s.on('close', () => resolve(true));
        setTimeout(() => { s.destroy(); resolve(false); }, 5000);
      });
      assert.ok(closed, `a connection that sent ${first.length} bytes was still open after 5 s`);
    }
    // Still serving.
    assert.equal((await request(`${server.url}healthz`)).status, 200);
  });
});

describe('bad TLS settings are refused at start, naming the setting', () => {
  function refuse(args) {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'smartlog-tls-cfg-'));
    const r = spawnSync(binary, ['--listen', '127.0.0.1:0', '--data-dir', path.join(data, 'data'), ...args],
      { encoding: 'utf8', timeout: 10000 });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  }
  const garbage = path.join(dir, 'garbage.pem');
  fs.writeFileSync(garbage, 'not a certificate\n');
  const cases = [
    { name: 'tls_cert without tls_key', args: ['--tls-cert', good.cert], want: /tls_key/ },
    { name: 'tls_key without tls_cert', args: ['--tls-key', good.key], want: /tls_cert/ },
    { name: 'an unreadable certificate', args: ['--tls-cert', path.join(dir, 'absent.crt'), '--tls-key', good.key],
      want: /tls_cert: ".*absent\.crt" cannot be read/ },
    { name: 'an unreadable key', args: ['--tls-cert', good.cert, '--tls-key', path.join(dir, 'absent.key')],
      want: /tls_key: ".*absent\.key" cannot be read/ },
    { name: 'a certificate that is not PEM', args: ['--tls-cert', garbage, '--tls-key', good.key],
      want: /tls_cert: ".*garbage\.pem" holds no usable PEM certificate/ },
    { name: 'a key that is not PEM', args: ['--tls-cert', good.cert, '--tls-key', garbage],
      want: /tls_key: ".*garbage\.pem" holds no usable PEM private key/ },
    { name: 'a key that does not match the certificate', args: ['--tls-cert', good.cert, '--tls-key', other.key],
      want: /tls_key: ".*other\.key" does not match the certificate in tls_cert/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = refuse(c.args);
      assert.equal(r.status, 2, r.output);
      assert.match(r.output, c.want);
      assert.doesNotMatch(r.output, /listening on/);
    });
  }
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));
