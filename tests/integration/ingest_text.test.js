// text/plain on POST /api/v1/logs (docs/ingest.md "Plain text"): one entry per line, the level
// from ?level=, the native ack; bad levels refused; counted under protocol="text".
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { as, TEST_TOML } = require('../support/client');

let server;
before(async () => {
  server = await startServer({ toml: TEST_TOML, args: ['--batch-max-delay', '5ms', '--max-message-bytes', '1KiB'] });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
});

const post = (body, query = '', user = 'alice') => fetch(`${server.url}api/v1/logs${query}`, {
  method: 'POST',
  headers: { Authorization: `Bearer ${user}-token`, 'X-Smartlog-User': user, 'X-Smartlog-App': 'app1', 'Content-Type': 'text/plain; charset=utf-8' },
  body,
});

test('one entry per line, with the level given', async () => {
  const viewer = await as(server.wsUrl, 'alice', 'app1');
  const t0 = Date.now();
  const res = await post('first line\r\n\nsecond line\n' + 'x'.repeat(2000) + '\nlast', '?level=WARNING');
  assert.equal(res.status, 200);
  const ack = await res.json();
  assert.equal(ack.accepted, 3);
  assert.equal(ack.rejected.length, 1);
  assert.equal(ack.rejected[0].index, 2);
  const entries = await viewer.entries(3);
  assert.deepEqual(entries.map((e) => e.message), ['first line', 'second line', 'last']);
  for (const e of entries) {
    assert.equal(e.level, 'warn');
    assert.ok(e.timestamp >= t0 && e.timestamp <= Date.now());
    assert.equal(e.metadata, undefined);
  }
  const metrics = await (await fetch(`${server.url}metrics`)).text();
  assert.match(metrics, /smartlog_ingest_entries_total\{protocol="text",format="plain"\} 3/);
  viewer.close();
});

test('a bad level is 400; a reader is 403', async () => {
  assert.equal((await post('x', `?level=${'y'.repeat(40)}`)).status, 400);
  assert.equal((await post('x', '', 'reader')).status, 403);
  assert.equal((await post('x', '', 'nobody')).status, 401);
});
