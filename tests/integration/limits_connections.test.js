// Connection limits (docs/protocol.md, "Limits"): max_connections answered 503 before any
// upgrade without disturbing the open connections; header_timeout cutting a client that drips
// its headers (slowloris) or idles on a kept-alive connection, request_timeout its body.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const WebSocket = require('ws');
const { startServer } = require('../support/server');
const { as, waitFor, TEST_TOML } = require('../support/client');

// One HTTP GET on its own connection, closed afterwards: {status, headers, body}.
function get(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(3000, () => req.destroy(new Error('no answer within 3 s')));
  });
}

// A WebSocket upgrade that the server refuses: resolves with the HTTP status and body it got.
function refusedUpgrade(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => { ws.terminate(); reject(new Error('the upgrade was accepted')); });
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    ws.on('error', (e) => reject(e));
  });
}

async function metric(port, name) {
  const r = await get(port, '/metrics');
  const m = r.body.match(new RegExp(`^${name} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
}

// Resolves with how long the server took to close `socket` (ms), or rejects after `ms`.
function closedWithin(socket, ms) {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    socket.on('close', () => { clearTimeout(timer); resolve(Date.now() - start); });
    socket.on('error', () => {});
  });
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });
}

describe('max_connections 5', () => {
  let server;
  before(async () => {
    server = await startServer({ toml: TEST_TOML, args: ['--max-connections', '5'] });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('the 6th connection gets 503 before any upgrade; the first 5 are unaffected; a later one is accepted', async () => {
    const open = [];
    for (let i = 0; i < 5; ++i) open.push(await as(server.wsUrl, 'alice', 'app1'));

    const refused = await refusedUpgrade(server.wsUrl);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '1');
    const body = JSON.parse(refused.body);
    assert.equal(body.error.code, 'unavailable');
    assert.match(body.error.message, /max_connections/);

    // Plain HTTP is refused the same way: it counts as a connection too.
    const http503 = await get(server.port, '/healthz');
    assert.equal(http503.status, 503);
    assert.equal(JSON.parse(http503.body).error.code, 'unavailable');

    // The five still work, and still receive each other's entries.
    for (const c of open) await c.sync();
    open[0].send({ type: 'logs', data: { logs: [{ message: 'still served' }] } });
    await open[0].next('logs_ack');
    const [entry] = await open[4].entries(1);
    assert.equal(entry.message, 'still served');

    // One leaves: a new connection is accepted once the server has seen it go.
    open.pop().close();
    const again = await waitFor(async () => {
      try {
        return await as(server.wsUrl, 'alice', 'app1');
      } catch {
        return null;
      }
    }, { timeoutMs: 5000, what: 'a connection accepted after one closed' });
    await again.sync();
    again.close();
    for (const c of open) c.close();

    // Refusals are counted (read once the slots are free again).
    const refusals = await waitFor(async () => {
      try {
        return await metric(server.port, 'smartlog_connections_refused_total');
      } catch {
        return undefined;
      }
    }, { timeoutMs: 5000, what: '/metrics' });
    assert.ok(refusals >= 2, `smartlog_connections_refused_total ${refusals}`);
  });

  test('a refused client that never closes is let go within a bounded time', async () => {
    const open = [];
    for (let i = 0; i < 5; ++i) open.push(await as(server.wsUrl, 'alice', 'app1'));
    // Says nothing and keeps its side open after the server's FIN.
    const idle = await new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: server.port, allowHalfOpen: true }, () => resolve(s));
      s.on('error', reject);
    });
    idle.on('error', () => {});
    let got = '';
    idle.on('data', (c) => { got += c; });
    await new Promise((resolve) => idle.once('end', resolve));
    assert.match(got, /^HTTP\/1\.1 503 /);
    for (const c of open) {
      await c.sync();
      c.close();
    }
    // The server stops waiting for it on its own (its linger deadline is at most 1 s).
    await waitFor(async () => {
      try {
        return (await metric(server.port, 'smartlog_refused_connections_lingering')) === 0;
      } catch {
        return false;
      }
    }, { timeoutMs: 5000, what: 'no refused connection lingering' });
    idle.destroy();
  });
});

describe('header_timeout 300ms, request_timeout 30s', () => {
  let server;
  before(async () => {
    server = await startServer({
      toml: TEST_TOML,
      args: ['--header-timeout', '300ms', '--request-timeout', '30s', '--max-connections', '20'],
    });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('a client dripping its headers is cut by header_timeout while a normal client still connects', async () => {
    const slow = await connect(server.port);
    slow.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const drip = setInterval(() => { if (!slow.destroyed) slow.write('X-Drip: 1\r\n'); }, 50);
    try {
      const closed = closedWithin(slow, 10000);
      // Meanwhile a well-behaved client is served.
      const c = await as(server.wsUrl, 'alice', 'app1');
      await c.sync();
      c.close();
      // Far sooner than request_timeout (30 s): the header deadline did it.
      await closed;
    } finally {
      clearInterval(drip);
    }
    assert.ok(await metric(server.port, 'smartlog_http_timeouts_total') >= 1);
  });

  test('a WebSocket upgrade whose headers never finish is cut the same way', async () => {
    const slow = await connect(server.port);
    slow.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n');
    await closedWithin(slow, 10000);
  });

  test('an idle kept-alive connection is closed by header_timeout after its answer', async () => {
    const s = await connect(server.port);
    let got = '';
    s.on('data', (c) => { got += c; });
    s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await closedWithin(s, 10000);
    assert.match(got, /^HTTP\/1\.1 200 /);
  });
});

describe('header_timeout 200ms, request_timeout 1500ms: the body has its own, longer deadline', () => {
  let server;
  before(async () => {
    server = await startServer({
      toml: TEST_TOML, args: ['--header-timeout', '200ms', '--request-timeout', '1500ms'],
    });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
  });

  test('a body dripping past header_timeout is still read, then cut by request_timeout', async () => {
    const s = await connect(server.port);
    let closed = false;
    const done = closedWithin(s, 10000).then(() => { closed = true; });
    s.write('POST /api/v1/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Smartlog-App: app1\r\n' +
      'Authorization: Bearer alice-token\r\nX-Smartlog-User: alice\r\nContent-Type: application/json\r\n' +
      'Content-Length: 1000\r\n\r\n[');
    const drip = setInterval(() => { if (!s.destroyed) s.write(' '); }, 50);
    try {
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(closed, false, 'cut at the header deadline although the headers were complete');
      await done;
    } finally {
      clearInterval(drip);
    }
  });
});

describe('out of file descriptors', () => {
  test('accept is retried at a pace: open connections keep working, waiting ones are served once descriptors free up', async () => {
    // 64 descriptors in all: a few dozen connections exhaust them, and the kernel keeps the
    // rest in the listen backlog, where each accept fails at once with EMFILE.
    const server = await startServer({
      toml: TEST_TOML,
      args: ['--durability', 'memory', '--header-timeout', '30s', '--request-timeout', '30s'],
      launcher: ['sh', '-c', 'ulimit -n 64 && exec "$0" "$@"'],
    });
    const sockets = [];
    try {
      const viewer = await as(server.wsUrl, 'alice', 'app1');
      for (let i = 0; i < 80; ++i) sockets.push(await connect(server.port));
      await waitFor(() => /accept: /.test(server.output()), { timeoutMs: 5000, what: 'a failed accept' });
      // A second of failing accepts: the net thread still serves, and says so once, not per try.
      await new Promise((r) => setTimeout(r, 1000));
      viewer.send({ type: 'ping' });
      await viewer.next('pong');
      const warnings = server.output().match(/accept: /g).length;
      assert.equal(warnings, 1, server.output());

      // Descriptors come back: the waiting connections are accepted, then new ones are served.
      for (const s of sockets.splice(0, 60)) s.destroy();
      await waitFor(() => /accept: succeeding again/.test(server.output()), { timeoutMs: 5000, what: 'accepting again' });
      const late = await waitFor(async () => {
        try {
          return await as(server.wsUrl, 'alice', 'app1');
        } catch {
          return null;
        }
      }, { timeoutMs: 5000, what: 'a new connection served' });
      await late.sync();
      late.close();
      viewer.close();
    } finally {
      for (const s of sockets) s.destroy();
      const { code } = await server.stop();
      assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
    }
  });
});

describe('limit settings', () => {
  const { spawnSync } = require('node:child_process');
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const { binary } = require('../support/server');
  const run = (args, env = {}) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smartlog-limits-'));
    const r = spawnSync(binary, ['--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data'), ...args], {
      env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10000,
    });
    return { status: r.status, signal: r.signal, output: `${r.stdout}${r.stderr}`, dir };
  };

  test('--help shows every limit with its default', () => {
    const { output } = run(['--help']);
    for (const [flag, def] of [['--max-connections', '1000'], ['--header-timeout', '5s'], ['--request-timeout', '10s'],
      ['--app-rate-limit', '0'], ['--app-rate-burst', '0'], ['--connection-rate-limit', '0'], ['--connection-rate-burst', '0']]) {
      assert.match(output, new RegExp(`${flag}[^\\n]*(\\n[^-\\n][^\\n]*)*\\[default: ${def}\\]`), `${flag} [default: ${def}]`);
    }
  });

  test('a low soft descriptor limit is raised to cover max_connections', async () => {
    const { spawn } = require('node:child_process');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smartlog-limits-'));
    // exec: the shell becomes smartlogd, so the pid is the server's.
    const proc = spawn('sh', ['-c', 'ulimit -Sn 256 && exec "$0" "$@"', binary, '--listen', '127.0.0.1:0',
      '--data-dir', path.join(dir, 'data'), '--durability', 'memory', '--max-connections', '500'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`did not start:\n${out}`)), 10000);
        proc.stdout.on('data', (c) => { out += c; if (/listening on/.test(out)) { clearTimeout(timer); resolve(); } });
        proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${out}`)); });
      });
      const limits = fs.readFileSync(`/proc/${proc.pid}/limits`, 'utf8');
      const [, soft, hard] = limits.match(/^Max open files\s+(\d+)\s+(\S+)/m);
      const wanted = 500 + 64 + 256;
      const expected = hard === 'unlimited' ? wanted : Math.min(wanted, Number(hard));
      assert.equal(Number(soft), expected, limits);
    } finally {
      proc.removeAllListeners('exit');
      proc.kill();
    }
  });

  test('bad values are refused at start, naming the flag, variable or file line and key', () => {
    const cases = [
      [['--max-connections', '0'], {}, /--max-connections/],
      [['--max-connections', '-3'], {}, /--max-connections/],
      [['--header-timeout', '5'], {}, /--header-timeout.*unit/],
      [['--app-rate-limit', 'fast'], {}, /--app-rate-limit/],
      [['--connection-rate-burst', '-1'], {}, /--connection-rate-burst/],
      [['--app-rate-burst', '100'], {}, /app_rate_burst \(100\) needs app_rate_limit/],
      [[], { SMARTLOG_CONNECTION_RATE_LIMIT: '1e3' }, /SMARTLOG_CONNECTION_RATE_LIMIT/],
    ];
    for (const [args, env, expected] of cases) {
      const r = run(args, env);
      assert.notEqual(r.status, 0, `${args.join(' ')} was accepted:\n${r.output}`);
      assert.equal(r.signal, null, `smartlogd started instead of refusing:\n${r.output}`);
      assert.match(r.output, expected);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smartlog-limits-'));
    const file = path.join(dir, 'smartlog.toml');
    fs.writeFileSync(file, '[server]\nmax_connections = 10\napp_rate_limit = -1\n');
    const r = run(['--config', file]);
    assert.notEqual(r.status, 0);
    assert.match(r.output, new RegExp(`${file.replace(/[.]/g, '\\.')}:3: server\\.app_rate_limit`));
  });
});
