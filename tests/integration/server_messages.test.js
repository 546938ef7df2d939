// What smartlogd says when it cannot start, verbatim: the address, the file and line, the fix.
// Also --check-config, the open-mode warning only once the server runs, users without a token,
// SIGHUP reloading users and apps, and the HTTP API's 400s.
'use strict';
const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, binary } = require('../support/server');
const { connectAs, sha256hex, waitFor } = require('../support/client');

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'smartlog-msg-'));
}

function configFile(text, dir = tempDir()) {
  const file = path.join(dir, 'smartlog.toml');
  fs.writeFileSync(file, text);
  return file;
}

// Runs smartlogd to completion; returns {status, stdout, stderr}.
function run(args, { uid, dataDir } = {}) {
  const data = dataDir || path.join(tempDir(), 'data');
  const r = spawnSync(binary, ['--data-dir', data, ...args], {
    encoding: 'utf8', timeout: 10000, ...(uid === undefined ? {} : { uid, gid: uid }),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const USERS = `
[[apps]]
id = "app1"

[[users]]
id = "alice"
token_sha256 = "${sha256hex('alice-token')}"
apps = { app1 = ["read", "write"] }
`;

describe('start-up errors name what is wrong and say what to do', () => {
  test('a port in use', async () => {
    const first = await startServer({});
    try {
      const r = run(['--listen', `127.0.0.1:${first.port}`]);
      assert.equal(r.status, 2);
      assert.equal(r.stderr,
        `smartlogd: cannot listen on 127.0.0.1:${first.port}: the address is already in use (another smartlogd, ` +
        'or another program, is listening there); stop it, or choose another address with --listen HOST:PORT ' +
        'or listen = "HOST:PORT" in [server]\n');
      // The open-mode warning belongs to a server that runs, not to one that failed.
      assert.ok(!r.stderr.includes('open mode'));
    } finally {
      await first.stop();
    }
  });

  test('a URL as the listen flag', () => {
    const r = run(['--listen', 'http://127.0.0.1:3016']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'smartlogd: --listen: "http://127.0.0.1:3016": expected HOST:PORT without a scheme ' +
      'or path, like "127.0.0.1:3016"\n');
  });

  test('a URL as listen in the file, with its line', () => {
    const file = configFile('[server]\nlisten = "http://127.0.0.1:3016/"\n');
    const r = run(['--config', file]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `smartlogd: ${file}:2: server.listen: expected HOST:PORT without a scheme or path, ` +
      'like "127.0.0.1:3016"\n');
  });

  test('a port alone as listen in the file', () => {
    const file = configFile('[server]\n\nlisten = "3001"\n');
    const r = run(['--config', file]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `smartlogd: ${file}:3: server.listen: expected HOST:PORT, not a port alone: write ` +
      '"127.0.0.1:3001" (this machine only) or "0.0.0.0:3001" (every interface)\n');
  });

  test('an unquoted address in the file', () => {
    const file = configFile('[server]\nlisten = 127.0.0.1:3001\n');
    const r = run(['--config', file]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `smartlogd: ${file}:2: listen: the value 127.0.0.1:3001 must be quoted: write ` +
      'listen = "127.0.0.1:3001"\n');
  });

  test('a misspelt flag', () => {
    const r = run(['--lisen', '127.0.0.1:0']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'smartlogd: unknown option --lisen (did you mean --listen?); smartlogd --help lists them all\n');
  });

  test('a misspelt key in the file', () => {
    const file = configFile('[server]\nhistroy_limit = 5\n');
    const r = run(['--config', file]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `smartlogd: ${file}:2: server.histroy_limit: unknown setting; did you mean ` +
      'server.history_limit?\n');
  });

  test('a misspelt key of a user', () => {
    const file = configFile(`${USERS}token_sha265 = "x"\n`);
    const r = run(['--config', file]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `smartlogd: ${file}:9: users[0].token_sha265: unknown key; did you mean token_sha256?\n`);
  });

  test('a data directory the server may not write names the user it runs as', {
    skip: process.getuid() !== 0 && 'needs root to run smartlogd as another user',
  }, () => {
    const parent = tempDir();
    fs.chmodSync(parent, 0o755);  // root's: others may enter, not write
    const data = path.join(parent, 'data');
    const r = run([], { uid: 65534, dataDir: data });
    const user = spawnSync('id', ['-nu', '65534'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, `smartlogd: data_dir "${data}": permission denied for user ${user} (uid 65534): give that ` +
      `user write access (e.g. sudo install -d -o ${user} "${data}") or choose another directory with --data-dir ` +
      'or data_dir\n');
  });
});

describe('users without a token', () => {
  test('beside other users, a user without token_sha256 is refused', () => {
    const file = configFile(`${USERS}\n[[users]]\nid = "bob"\napps = { app1 = ["read"] }\n`);
    const r = run(['--config', file]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `smartlogd: ${file}:10: users[1].token_sha256: required when there are several users ` +
      '(without it anyone could sign in as "bob" with any token): set the sha-256 of bob\'s token, or ' +
      'token_sha256 = "none" to let bob in without one\n');
  });

  test('token_sha256 = "none" is accepted and warned about once the server runs', async () => {
    const server = await startServer({
      toml: `${USERS}\n[[users]]\nid = "bob"\ntoken_sha256 = "none"\napps = { app1 = ["read"] }\n`,
    });
    try {
      await waitFor(() => server.output().includes('user "bob" has no token'), { what: 'the warning' });
      assert.match(server.output(), /\[warning\] user "bob" has no token: anyone can sign in as bob, with any token or none, and get bob's permissions \(docs\/security\.md, "Users"\)/);
      const bob = await connectAs(server.wsUrl, 'bob', 'app1', { token: 'anything' });
      bob.close();
    } finally {
      await server.stop();
    }
  });
});

describe('--check-config', () => {
  test('a usable file: a summary, exit 0, nothing started', () => {
    const file = configFile(`[server]\nlisten = "127.0.0.1:3999"\n${USERS}`);
    const dir = tempDir();
    const r = run(['--config', file, '--check-config'], { dataDir: path.join(dir, 'data') });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${file}: OK: listen 127.0.0.1:3999, durability batch, data_dir ${path.join(dir, 'data')}, ` +
      '1 app, 1 user\n');
    assert.equal(fs.existsSync(path.join(dir, 'data')), false, 'the data directory is not created');
  });

  test('a bad file: the same error as at start, exit 2', () => {
    const file = configFile('[server]\nlisten = "3001"\n');
    const r = run(['--config', file, '--check-config']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /smartlog\.toml:2: server\.listen: expected HOST:PORT, not a port alone/);
  });
});

describe('SIGHUP reloads apps and users without dropping connections', () => {
  const BOTH = `${USERS}
[[users]]
id = "bob"
token_sha256 = "${sha256hex('bob-token')}"
apps = { app1 = ["read"] }
`;

  test('bob is removed: he is told and closed, alice stays', async () => {
    const server = await startServer({ toml: BOTH });
    const file = path.join(server.dir, 'smartlog.toml');
    try {
      const alice = await connectAs(server.wsUrl, 'alice', 'app1', { token: 'alice-token' });
      const bob = await connectAs(server.wsUrl, 'bob', 'app1', { token: 'bob-token' });

      // A file that does not load changes nothing.
      fs.writeFileSync(file, `${BOTH}\n[[users]]\nid = "carol"\ntoken_sha256 = "none"\napps = { ghost = ["read"] }\n`);
      server.proc.kill('SIGHUP');
      await waitFor(() => server.output().includes('the running configuration is unchanged'), { what: 'the refusal' });
      assert.match(server.output(), /\[error\] SIGHUP: .*smartlog\.toml: users\.carol\.apps\.ghost: no \[\[apps\]\] entry has id "ghost"; the running configuration is unchanged/);

      fs.writeFileSync(file, USERS);
      server.proc.kill('SIGHUP');
      const error = await bob.next('error');
      assert.deepEqual(error.payload, {
        code: 'forbidden', message: 'access withdrawn by a configuration reload: unknown user or wrong token',
      });
      const closed = await bob.waitClose();
      assert.deepEqual(closed, { code: 1008, reason: 'access withdrawn by a configuration reload' });
      await waitFor(() => server.output().includes('SIGHUP: reloaded'), { what: 'the reload line' });
      assert.match(server.output(), /SIGHUP: reloaded apps and users from .*: 1 app, 1 user; 1 connection closed \(access withdrawn\)/);

      // Alice's connection is the same one, and still served.
      const status = await alice.request({ type: 'check_status', data: { userId: 'alice', appId: 'app1', token: 'alice-token' } }, 'status_response');
      assert.ok(status);
      assert.equal(alice.closeInfo, undefined);
      // A new sign-in sees the new users.
      await assert.rejects(connectAs(server.wsUrl, 'bob', 'app1', { token: 'bob-token' }), /invalid_credentials/);
      alice.close();
    } finally {
      await server.stop();
    }
  });
});

describe('the HTTP API refuses what it does not understand', () => {
  async function get(server, query) {
    const res = await fetch(`${server.url}api/v1/logs?${query}`);
    return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
  }

  test('unknown parameter, impossible level, and a newline at the end', async () => {
    const server = await startServer({});
    try {
      let r = await get(server, 'app=a&lvl=error');
      assert.equal(r.status, 400);
      assert.equal(r.body, '{"error":{"code":"bad_request","message":"unknown query parameter \\"lvl\\"; did you mean ' +
        '\\"level\\"?; this route takes app, level, start, end, q, limit, before, format"}}\n');
      // An app's own level is filtered by its exact name; one that no entry can have is refused.
      r = await get(server, 'app=a&level=error,loud');
      assert.equal(r.status, 200);
      r = await get(server, `app=a&level=${'x'.repeat(33)}`);
      assert.equal(r.status, 400);
      assert.equal(r.body, '{"error":{"code":"bad_request","message":"level: a level is longer than 32 characters"}}\n');
      r = await get(server, 'app=a&level=WARNING,log');
      assert.equal(r.status, 200);
      assert.equal(r.body, '{"logs":[],"nextBefore":null}\n');
      const health = await fetch(`${server.url}healthz`);
      assert.equal(await health.text(), '{"status":"ok"}\n');
      const del = await fetch(`${server.url}api/v1/logs?app=a&level=error`, { method: 'DELETE' });
      assert.equal(del.status, 400);
      assert.match(await del.text(), /unknown query parameter \\"level\\"; this route takes app"/);
    } finally {
      await server.stop();
    }
  });

  test('format=ndjson and format=csv export what the filters select', async () => {
    const server = await startServer({});
    try {
      const post = await fetch(`${server.url}api/v1/logs?app=shop`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          { level: 'error', message: 'card, "declined"', timestamp: 1714564800000, metadata: { status: 502 } },
          { level: 'info', message: 'fine', timestamp: 1714564801000 },
        ]),
      });
      assert.equal(post.status, 200);
      const nd = await fetch(`${server.url}api/v1/logs?app=shop&level=error&format=ndjson`);
      assert.equal(nd.headers.get('content-type'), 'application/x-ndjson');
      assert.equal(nd.headers.get('content-disposition'), 'attachment; filename="shop-logs.ndjson"');
      const lines = (await nd.text()).split('\n');
      assert.equal(lines.length, 2);
      assert.equal(lines[1], '');
      assert.equal(JSON.parse(lines[0]).message, 'card, "declined"');
      const csv = await fetch(`${server.url}api/v1/logs?app=shop&format=csv`);
      assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
      const rows = (await csv.text()).split('\r\n');
      assert.equal(rows[0], 'timestamp,time,level,message,metadata,id,appId,userId');
      assert.match(rows[1], /^1714564801000,2024-05-01T12:00:01\.000Z,info,fine,,[0-9a-f-]+,shop,http$/);
      assert.match(rows[2], /^1714564800000,2024-05-01T12:00:00\.000Z,error,"card, ""declined""","\{""status"":502\}",/);
      const bad = await get(server, 'app=shop&format=xml');
      assert.equal(bad.status, 400);
      assert.match(bad.body, /format must be json, ndjson or csv/);
    } finally {
      await server.stop();
    }
  });
});
