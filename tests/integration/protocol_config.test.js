// Configuration (README, "Configuration"): bad files refused at start with file, line and key; open mode and
// loopback; flags beat the environment, which beats the file.
'use strict';
const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, binary } = require('../support/server');
const { connectAs, sha256hex, waitFor } = require('../support/client');

// Runs smartlogd expecting it to refuse to start; returns {status, output}.
function refuse(args, env = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smartlog-cfg-'));
  const r = spawnSync(binary, ['--data-dir', path.join(dir, 'data'), ...args], {
    env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10000,
  });
  return { status: r.status, signal: r.signal, output: `${r.stdout}${r.stderr}` };
}

function configFile(text) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smartlog-cfg-'));
  const file = path.join(dir, 'smartlog.toml');
  fs.writeFileSync(file, text);
  return file;
}

describe('a bad config file is refused at start, naming the file, the line and the key', () => {
  const cases = [
    {
      name: 'a value of the wrong type',
      text: '[server]\nmetrics_interval = "5s"\nhistory_limit = "lots"\n',
      line: 3, key: 'history_limit',
    },
    {
      name: 'a duration without a unit',
      text: '[server]\n\nidle_timeout = "60"\n',
      line: 3, key: 'idle_timeout',
    },
    {
      name: 'an unknown setting',
      text: '[server]\nlisten = "127.0.0.1:0"\nhistroy_limit = 5\n',
      line: 3, key: 'histroy_limit',
    },
    {
      name: 'a bad permission',
      text: `[[apps]]\nid = "app1"\n\n[[users]]\nid = "u"\ntoken_sha256 = "${sha256hex('t')}"\napps = { app1 = ["read", "raed"] }\n`,
      line: 7, key: 'app1',
    },
    {
      name: 'a token that is not a sha-256',
      text: '[[apps]]\nid = "app1"\n[[users]]\nid = "u"\ntoken_sha256 = "secret"\napps = { app1 = ["read"] }\n',
      line: 5, key: 'token_sha256',
    },
    {
      name: 'active that is not a boolean',
      text: '[[apps]]\nid = "app1"\nactive = "yes"\n',
      line: 3, key: 'active',
    },
    {
      name: 'a TOML syntax error',
      text: '[server]\nhistory_limit = 5\nmetrics_interval = = "1s"\n',
      line: 3, key: null,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const file = configFile(c.text);
      const r = refuse(['--listen', '127.0.0.1:0', '--config', file]);
      assert.equal(r.signal, null, `smartlogd started instead of refusing:\n${r.output}`);
      assert.notEqual(r.status, 0, r.output);
      assert.ok(r.output.includes(file), `names the file: ${r.output}`);
      assert.match(r.output, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${c.line}\\b`), `names line ${c.line}: ${r.output}`);
      if (c.key) assert.ok(r.output.includes(c.key), `names the key ${c.key}: ${r.output}`);
      assert.ok(!/listening on/.test(r.output));
    });
  }

  test('a user granted an app that is not declared', () => {
    const file = configFile('[[apps]]\nid = "app1"\n[[users]]\nid = "u"\napps = { ghost = ["read"] }\n');
    const r = refuse(['--listen', '127.0.0.1:0', '--config', file]);
    assert.notEqual(r.status, 0, r.output);
    assert.ok(r.output.includes(file) && r.output.includes('ghost'), r.output);
  });

  test('a missing file, a bad flag value and a bad environment value', () => {
    let r = refuse(['--listen', '127.0.0.1:0', '--config', '/nonexistent/smartlog.toml']);
    assert.notEqual(r.status, 0);
    assert.ok(r.output.includes('/nonexistent/smartlog.toml'), r.output);
    r = refuse(['--listen', '127.0.0.1:0', '--history-limit', 'many']);
    assert.notEqual(r.status, 0);
    assert.ok(r.output.includes('--history-limit'), r.output);
    r = refuse(['--listen', '127.0.0.1:0'], { SMARTLOG_MAX_FRAME_BYTES: 'huge' });
    assert.notEqual(r.status, 0);
    assert.ok(r.output.includes('SMARTLOG_MAX_FRAME_BYTES'), r.output);
  });
});

describe('open mode', () => {
  test('refuses a non-loopback address without --insecure-open, and says why', () => {
    const r = refuse(['--listen', '0.0.0.0:0']);
    assert.equal(r.signal, null, `smartlogd started:\n${r.output}`);
    assert.notEqual(r.status, 0);
    assert.ok(r.output.includes('--insecure-open'), r.output);
    assert.ok(!/listening on/.test(r.output));
  });

  test('a config with apps but no users is open mode too', () => {
    const file = configFile('[[apps]]\nid = "app1"\n');
    const r = refuse(['--listen', '0.0.0.0:0', '--config', file]);
    assert.notEqual(r.status, 0);
    assert.ok(r.output.includes('--insecure-open'), r.output);
  });

  test('on loopback it starts, says so, and accepts anyone for any app with every permission', async () => {
    const server = await startServer({});
    try {
      // Said once the server runs: right after the line that says where it listens.
      await waitFor(() => /open mode/.test(server.output()), { what: 'the open-mode warning' });
      const c = await connectAs(server.wsUrl, 'anyone', 'any-app');
      assert.equal(c.authReply.payload.appId, 'any-app');
      assert.deepEqual([...c.authReply.payload.permissions].sort(), ['clear', 'read', 'write']);
      const ack = await c.request({ type: 'logs', data: { logs: [{ message: 'open' }] } }, 'logs_ack');
      assert.equal(ack.payload.accepted, 1);
      c.close();
    } finally {
      await server.stop();
    }
  });
});

describe('precedence: flags beat the environment, which beats the file', () => {
  const toml = `[server]\nhistory_limit = 7\n\n[[apps]]\nid = "app1"\n\n[[users]]\nid = "u"\napps = { app1 = ["read", "write"] }\n`;
  async function historyLimit(args, env) {
    const server = await startServer({ toml, args, env });
    try {
      const c = await connectAs(server.wsUrl, 'u', 'app1');
      c.close();
      return c.authReply.payload.historyLimit;
    } finally {
      await server.stop();
    }
  }

  test('file alone', async () => {
    assert.equal(await historyLimit([], {}), 7);
  });
  test('environment over file', async () => {
    assert.equal(await historyLimit([], { SMARTLOG_HISTORY_LIMIT: '8' }), 8);
  });
  test('flag over environment and file', async () => {
    assert.equal(await historyLimit(['--history-limit', '9'], { SMARTLOG_HISTORY_LIMIT: '8' }), 9);
  });
  test('the history ring really holds the winning value', async () => {
    const server = await startServer({ toml, args: ['--history-limit', '2'], env: { SMARTLOG_HISTORY_LIMIT: '8' } });
    try {
      const c = await connectAs(server.wsUrl, 'u', 'app1');
      const ack = await c.request({ type: 'logs', data: { logs: [1, 2, 3, 4, 5].map((i) => ({ message: `m${i}` })) } }, 'logs_ack');
      assert.equal(ack.payload.accepted, 5);
      await c.entries(5);
      const h = await c.request({ type: 'request_history' }, (m) => m.type === 'logs' && m.history);
      assert.deepEqual(h.payload.map((e) => e.message), ['m4', 'm5']);
      c.close();
    } finally {
      await server.stop();
    }
  });
});

describe('allowed_origins', () => {
  test('a browser Origin not listed is refused; a listed one and clients without Origin connect', async () => {
    const WebSocket = require('ws');
    const server = await startServer({ args: ['--allowed-origins', 'http://good.example'] });
    try {
      const open = (headers) => new Promise((resolve) => {
        const ws = new WebSocket(server.wsUrl, { headers });
        ws.once('open', () => { ws.terminate(); resolve('open'); });
        ws.once('unexpected-response', (req, res) => { resolve(res.statusCode); ws.terminate(); });
        ws.once('error', () => resolve('error'));
      });
      assert.equal(await open({ Origin: 'http://evil.example' }), 403);
      assert.equal(await open({ Origin: 'http://good.example' }), 'open');
      assert.equal(await open({}), 'open');
    } finally {
      await server.stop();
    }
  });

  test('an Origin matches on scheme, host and port exactly; look-alikes are refused', async () => {
    const WebSocket = require('ws');
    const server = await startServer({ args: ['--allowed-origins', 'http://example.com, https://logs.example.com:8443'] });
    try {
      const open = (origin) => new Promise((resolve) => {
        const ws = new WebSocket(server.wsUrl, { headers: { Origin: origin } });
        ws.once('open', () => { ws.terminate(); resolve('open'); });
        ws.once('unexpected-response', (req, res) => { resolve(res.statusCode); ws.terminate(); });
        ws.once('error', () => resolve('error'));
      });
      // RFC 6454: scheme and host compare case-insensitively; 80 is http's default port.
      for (const ok of ['http://example.com', 'HTTP://Example.COM', 'http://example.com:80',
        'https://logs.example.com:8443']) {
        assert.equal(await open(ok), 'open', ok);
      }
      for (const bad of ['http://example.com.evil', 'http://evil.example.com', 'http://example.com:8080',
        'https://example.com', 'null', 'http://example.com/', 'http://xexample.com',
        'https://logs.example.com', 'http://example.com@evil.example']) {
        assert.equal(await open(bad), 403, bad);
      }
    } finally {
      await server.stop();
    }
  });

  test('an allowed origin with a path or a trailing slash is refused at start', () => {
    for (const bad of ['https://example.com/', 'https://example.com/app', 'null']) {
      const r = refuse(['--listen', '127.0.0.1:0', '--allowed-origins', bad]);
      assert.equal(r.status, 2, r.output);
      assert.match(r.output, /--allowed-origins: .*is not an origin/);
    }
    const file = configFile('[server]\nallowed_origins = ["https://ok.example", "https://bad.example/"]\n');
    const r = refuse(['--listen', '127.0.0.1:0', '--config', file]);
    assert.equal(r.status, 2, r.output);
    assert.match(r.output, /smartlog\.toml:2: server\.allowed_origins: .*bad\.example\/.* is not an origin/);
  });
});
