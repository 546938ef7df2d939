// Limits per client (docs/security.md, "Each limit and its default"): the WebSocket opening
// handshake and frame header checks, max_unauthenticated_connections (the oldest connection
// without credentials makes room for a new one), max_connections_per_address (loopback
// exempt), max_apps and idle apps freed in open mode, and who sees per-app series of /metrics.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startServer } = require('../support/server');
const { Client, as, connectAs, sendLogs, waitFor, TEST_TOML } = require('../support/client');

const GOOD_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

// Writes `text` on a fresh connection and resolves with everything the server sent until it
// closed or `idleMs` passed without data.
function exchange(port, text, { idleMs = 1500 } = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(text));
    let got = Buffer.alloc(0);
    let timer;
    const done = () => { clearTimeout(timer); s.destroy(); resolve(got); };
    const arm = () => { clearTimeout(timer); timer = setTimeout(done, idleMs); };
    s.on('data', (c) => { got = Buffer.concat([got, c]); arm(); });
    s.on('close', done);
    s.on('error', reject);
    arm();
  });
}

function upgradeRequest({ key = GOOD_KEY, version = '13' } = {}) {
  let text = 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n';
  if (key !== null) text += `Sec-WebSocket-Key: ${key}\r\n`;
  if (version !== null) text += `Sec-WebSocket-Version: ${version}\r\n`;
  return `${text}\r\n`;
}

function statusOf(response) {
  const m = response.toString('latin1').match(/^HTTP\/1\.1 (\d{3})/);
  return m ? Number(m[1]) : undefined;
}

async function getText(server, path, headers = {}) {
  const res = await fetch(`${server.url}${path.replace(/^\//, '')}`, { headers });
  return { status: res.status, body: await res.text() };
}

function metricValue(text, name) {
  const m = text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
}

describe('WebSocket opening handshake and frame header', () => {
  let server;
  before(async () => { server = await startServer({ toml: TEST_TOML, args: ['--max-frame-bytes', '4KiB'] }); });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, server.output());
  });

  test('a well-formed upgrade is answered 101', async () => {
    const res = await exchange(server.port, upgradeRequest(), { idleMs: 300 });
    assert.equal(statusOf(res), 101);
  });

  test('an empty, short, missing or non-base64 Sec-WebSocket-Key is answered 400 with a reason', async () => {
    for (const key of ['', 'x', 'dGhlIHNhbXBsZSBub25jZQ=', 'dGhlIHNhbXBsZSBub25j*Q==', null]) {
      const res = (await exchange(server.port, upgradeRequest({ key }))).toString('latin1');
      assert.equal(statusOf(res), 400, `key ${JSON.stringify(key)}: ${res}`);
      const body = JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4));
      assert.equal(body.error.code, 'bad_request');
      assert.match(body.error.message, /Sec-WebSocket-Key/);
    }
  });

  test('another Sec-WebSocket-Version is answered 426 naming version 13', async () => {
    const res = (await exchange(server.port, upgradeRequest({ version: '8' }))).toString('latin1');
    assert.equal(statusOf(res), 426, res);
    assert.match(res, /Sec-WebSocket-Version: 13/i);
    assert.match(res, /Sec-WebSocket-Version must be 13/);
  });

  test('a frame whose 64-bit length has its top bit set is closed with 1009 before any payload', async () => {
    // FIN + text, masked, 64-bit length 2^63 + 16, then the mask key: no payload follows.
    const header = Buffer.from([0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0x10, 1, 2, 3, 4]);
    const reply = await new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: server.port }, () => s.write(upgradeRequest()));
      let got = Buffer.alloc(0);
      let sent = false;
      const timer = setTimeout(() => { s.destroy(); reject(new Error(`still open: ${got.toString('latin1')}`)); }, 3000);
      s.on('data', (c) => {
        got = Buffer.concat([got, c]);
        if (!sent && got.includes('\r\n\r\n')) {
          sent = true;
          got = got.subarray(got.indexOf('\r\n\r\n') + 4);
          s.write(header);
        }
      });
      s.on('close', () => { clearTimeout(timer); resolve(got); });
      s.on('error', () => {});
    });
    // A close frame (opcode 8) with status 1009.
    assert.ok(reply.length >= 4, `no close frame: ${reply.toString('hex')}`);
    assert.equal(reply[0] & 0x0f, 8);
    assert.equal(reply.readUInt16BE(2), 1009);
  });
});

describe('max_unauthenticated_connections 3', () => {
  let server;
  before(async () => {
    server = await startServer({ toml: TEST_TOML, args: ['--max-unauthenticated-connections', '3'] });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, server.output());
  });

  test('a new connection displaces the oldest one without credentials; authenticated ones stay', async () => {
    const authed = await as(server.wsUrl, 'alice', 'app1');
    const waiting = [];
    for (let i = 0; i < 3; ++i) {
      waiting.push(await Client.connect(server.wsUrl));
      await waiting[i].sync();  // accepted and counted before the next one
    }
    // A fourth connection: the oldest waiting one is told why, then closed with 1013.
    const late = await as(server.wsUrl, 'alice', 'app1');
    const err = await waiting[0].next('error');
    assert.equal(err.payload.code, 'unauthenticated');
    assert.match(err.payload.message, /max_unauthenticated_connections/);
    const { code, reason } = await waiting[0].waitClose();
    assert.equal(code, 1013);
    assert.ok(reason.length > 0);
    // The others, authenticated or still waiting, are untouched.
    await authed.sync();
    await late.sync();
    for (const c of waiting.slice(1)) await c.sync();
    for (const c of [authed, late, ...waiting]) c.close();
  });

  test('sockets that never send a request cannot keep /healthz or a user out', async () => {
    const hogs = [];
    for (let i = 0; i < 10; ++i) {
      hogs.push(await new Promise((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port: server.port }, () => resolve(s));
        s.on('error', reject);
      }));
    }
    const health = await getText(server, '/healthz');
    assert.equal(health.status, 200);
    const user = await as(server.wsUrl, 'bob', 'app2');
    await user.sync();
    user.close();
    // At most 3 of the hogs are still open: the others were closed to make room.
    const open = await waitFor(() => {
      const n = hogs.filter((s) => !s.destroyed && s.readyState === 'open').length;
      return n <= 3 ? n + 1 : 0;
    }, { what: 'the hogs to be closed' });
    assert.ok(open - 1 <= 3);
    for (const s of hogs) s.destroy();
    const metrics = await getText(server, '/metrics');
    assert.ok(metricValue(metrics.body, 'smartlog_connections_displaced_total') >= 7, metrics.body);
  });
});

describe('max_connections_per_address', () => {
  test('loopback is exempt: a reverse proxy on this host serves every client through it', async () => {
    const server = await startServer({ toml: TEST_TOML, args: ['--max-connections-per-address', '2'] });
    try {
      const clients = [];
      for (let i = 0; i < 5; ++i) clients.push(await as(server.wsUrl, 'alice', 'app1'));
      for (const c of clients) await c.sync();
      for (const c of clients) c.close();
    } finally {
      await server.stop();
    }
  });

  test('a value that is not a whole number is refused at start', async () => {
    await assert.rejects(startServer({ toml: TEST_TOML, args: ['--max-connections-per-address', 'many'] }),
      /max-connections-per-address/);
  });
});

describe('open mode, max_apps 3', () => {
  let server;
  before(async () => { server = await startServer({ args: ['--max-apps', '3', '--durability', 'memory'] }); });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, server.output());
  });

  test('apps that keep entries count; a fourth is refused with auth_error; freed apps make room', async () => {
    const producers = [];
    for (const app of ['a1', 'a2', 'a3']) {
      const c = await connectAs(server.wsUrl, 'u', app);
      assert.equal((await sendLogs(c, [{ message: `in ${app}` }])).payload.accepted, 1);
      producers.push(c);
    }
    const c = await Client.connect(server.wsUrl);
    const refused = await c.request({ type: 'auth', data: { userId: 'u', appId: 'a4' } }, 'auth_error');
    assert.equal(refused.payload.code, 'no_access');
    assert.match(refused.payload.message, /max_apps/);
    // The refused connection is as it was: it may still authenticate for an existing app.
    assert.equal((await c.request({ type: 'auth', data: { userId: 'u', appId: 'a1' } }, 'auth_success')).type,
      'auth_success');
    // HTTP ingest into a new app is refused the same way.
    const res = await fetch(`${server.url}api/v1/logs?app=a5`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([{ message: 'x' }]),
    });
    assert.equal(res.status, 403);
    assert.match((await res.json()).error.message, /max_apps/);
    // Entries kept in memory are never freed; an app cleared and left is.
    producers[2].send({ type: 'clear' });
    await producers[2].next('cleared');
    producers[2].close();
    const fresh = await waitFor(async () => {
      const d = await Client.connect(server.wsUrl);
      const reply = await d.request({ type: 'auth', data: { userId: 'u', appId: 'a4' } },
        (m) => m.type === 'auth_success' || m.type === 'auth_error');
      if (reply.type === 'auth_success') return d;
      d.close();
      return null;
    }, { what: 'a4 to be accepted once a3 was freed' });
    const a1 = await connectAs(server.wsUrl, 'u', 'a1');
    const h = await a1.request({ type: 'request_history' }, (m) => m.type === 'logs' && m.history);
    assert.deepEqual(h.payload.map((e) => e.message), ['in a1']);
    for (const x of [...producers, c, fresh, a1]) x.close();
  });

  test('apps named and left without entries are freed: a client inventing app ids stays bounded', async () => {
    const c = await Client.connect(server.wsUrl);
    for (let i = 0; i < 50; ++i) {
      const reply = await c.request({ type: 'auth', data: { userId: 'u', appId: `invented-${i}` } },
        (m) => m.type === 'auth_success' || m.type === 'auth_error');
      assert.equal(reply.type, 'auth_success', `invented-${i}: ${JSON.stringify(reply)}`);
    }
    c.close();
    const apps = await waitFor(async () => {
      const n = metricValue((await getText(server, '/metrics')).body, 'smartlog_apps');
      return n <= 3 ? n + 1 : 0;
    }, { what: 'smartlog_apps back to at most 3' });
    assert.ok(apps - 1 <= 3);
  });
});

describe('/metrics per-app series', () => {
  test('with users configured: none anonymously, only the apps a credential may read', async () => {
    const server = await startServer({ toml: TEST_TOML });
    try {
      const clients = [await as(server.wsUrl, 'alice', 'app1'), await as(server.wsUrl, 'bob', 'app2'),
        await as(server.wsUrl, 'user123', 'app456')];
      const anonymous = await getText(server, '/metrics');
      assert.equal(anonymous.status, 200);
      assert.doesNotMatch(anonymous.body, /app="/);
      assert.equal(metricValue(anonymous.body, 'smartlog_apps'), 3);

      const alice = await getText(server, '/metrics', { 'X-Smartlog-User': 'alice', Authorization: 'Bearer alice-token' });
      assert.match(alice.body, /smartlog_entries_ingested_total\{app="app1"\}/);
      assert.match(alice.body, /smartlog_entries_ingested_total\{app="app2"\}/);
      assert.doesNotMatch(alice.body, /app="app456"/);

      const reader = await getText(server, '/metrics', { 'X-Smartlog-User': 'reader', Authorization: 'Bearer reader-token' });
      assert.match(reader.body, /app="app1"/);
      assert.doesNotMatch(reader.body, /app="app2"|app="app456"/);

      const wrong = await getText(server, '/metrics', { 'X-Smartlog-User': 'alice', Authorization: 'Bearer nope' });
      assert.doesNotMatch(wrong.body, /app="/);
      for (const c of clients) c.close();
    } finally {
      await server.stop();
    }
  });

  test('metrics_public_apps = true shows every app to anyone', async () => {
    const server = await startServer({ toml: `[server]\nmetrics_public_apps = true\n${TEST_TOML}` });
    try {
      const c = await as(server.wsUrl, 'user123', 'app456');
      assert.match((await getText(server, '/metrics')).body, /app="app456"/);
      c.close();
    } finally {
      await server.stop();
    }
  });

  test('open mode on loopback shows every app', async () => {
    const server = await startServer({ args: ['--durability', 'memory'] });
    try {
      const c = await connectAs(server.wsUrl, 'u', 'somewhere');
      assert.match((await getText(server, '/metrics')).body, /app="somewhere"/);
      c.close();
    } finally {
      await server.stop();
    }
  });
});
