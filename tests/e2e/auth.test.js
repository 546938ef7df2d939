// Sign-in refusals: each auth_error code gets its own message, and the form stays usable.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const h = require('./helpers');

let server;
let browser;

before(async () => {
  [server, browser] = await Promise.all([startServer({ toml: h.USERS_TOML }), h.launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function refusal(page, credentials) {
  await h.signIn(page, server.url, credentials);
  await page.waitForSelector('#signin-error:not([hidden])');
  assert.equal(await page.getAttribute('#conn', 'data-state'), 'rejected');
  assert.equal(await page.isVisible('#dashboard'), false);
  return {
    code: await page.getAttribute('#signin-error', 'data-code'),
    text: await page.textContent('#signin-error-text'),
  };
}

test('a wrong token shows the error, and the right one then signs in', async () => {
  const page = await h.openPage(browser);
  const { code, text } = await refusal(page, { userId: 'alice', appId: 'shop', token: 'nope' });
  assert.equal(code, 'invalid_credentials');
  assert.equal(text, 'Unknown user or wrong token.');
  // It does not retry by itself: the same credentials would fail the same way.
  assert.equal(await page.isVisible('#retry'), false);

  await page.fill('input[name=token]', h.TOKENS.alice);
  await page.click('#signin-form button[type=submit]');
  await h.waitLive(page);
  assert.equal(await page.isVisible('#signin-error'), false);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('each auth_error code has its own message', async () => {
  const page = await h.openPage(browser);
  const cases = [
    [{ userId: 'mallory', appId: 'shop', token: 'x' }, 'invalid_credentials', /wrong token/],
    [{ userId: 'alice', appId: 'billing', token: h.TOKENS.alice }, 'no_access', /no access/],
    [{ userId: 'alice', appId: 'nowhere', token: h.TOKENS.alice }, 'no_access', /no access/],
    [{ userId: 'alice', appId: 'legacy', token: h.TOKENS.alice }, 'app_inactive', /deactivated/],
  ];
  for (const [credentials, wantCode, wantText] of cases) {
    const { code, text } = await refusal(page, credentials);
    assert.equal(code, wantCode, JSON.stringify(credentials));
    assert.match(text, wantText);
  }
  await page.context().close();
});

test('an auth message the server cannot read gets its own message', async () => {
  // The form only sends strings; rewrite the frame on its way out to get bad_request.
  const page = await h.openPage(browser);
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const upstream = ws.connectToServer();
    ws.onMessage((frame) => {
      const msg = JSON.parse(frame);
      if (msg.type === 'auth') msg.data.userId = 42;
      upstream.send(JSON.stringify(msg));
    });
  });
  const { code, text } = await refusal(page, { userId: 'alice', appId: 'shop', token: 'x' });
  assert.equal(code, 'bad_request');
  assert.match(text, /could not read the sign-in request/);
  await page.context().close();
});
