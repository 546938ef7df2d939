// What the integration tests of durable storage share: HTTP API credentials of the test
// config's users, reading back every stored entry, and a stop that must exit cleanly.
'use strict';
const assert = require('node:assert/strict');

// HTTP API headers of `user` (TEST_TOML: token `<user>-token`) for app1.
const auth = (user) => ({
  Authorization: `Bearer ${user}-token`, 'X-Smartlog-User': user, 'X-Smartlog-App': 'app1',
});

// Every entry of `app` on disk, newest first, through the HTTP query (paging with `before`).
async function allStored(server, app = 'app1') {
  const out = [];
  let before = null;
  for (;;) {
    const url = `${server.url}api/v1/logs?app=${app}&limit=1000${before ? `&before=${before}` : ''}`;
    const res = await fetch(url, { headers: auth('alice') });
    assert.equal(res.status, 200);
    const page = await res.json();
    out.push(...page.logs);
    if (!page.nextBefore) return out;
    before = page.nextBefore;
  }
}

async function stopCleanly(server) {
  const { code } = await server.stop();
  assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
}

module.exports = { auth, allStored, stopCleanly };
