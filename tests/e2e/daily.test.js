// A team's first day on the dashboard: switching apps without signing in again, the view in the
// URL surviving a reload, exporting what is shown, searching by field, the date of old entries,
// quick ranges, a write-only user told what to do, the wrong-token message said once. Saves the
// screenshots of docs/ (desktop, phone, dark).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer } = require('../support/server');
const h = require('./helpers');

let server;
let browser;

before(async () => {
  [server, browser] = await Promise.all([startServer({ toml: h.USERS_TOML }), h.launchBrowser()]);
  const shop = await h.connectProducer(server.wsUrl, { userId: 'svc', appId: 'shop', token: h.TOKENS.svc });
  const billing = await h.connectProducer(server.wsUrl, { userId: 'svc', appId: 'billing', token: h.TOKENS.svc });
  const twoDaysAgo = Date.now() - 2 * 24 * 3600 * 1000;
  await shop.send([
    { level: 'error', message: 'checkout failed', metadata: { status: 502, user: { id: 42 } } },
    { level: 'info', message: 'checkout ok', metadata: { status: 200, user: { id: 7 } } },
    { level: 'warn', message: 'an old warning', timestamp: twoDaysAgo, metadata: { status: 404 } },
  ]);
  await billing.send([{ level: 'info', message: 'invoice sent', metadata: { invoice: 'F-1' } }]);
  shop.close();
  billing.close();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// Asks for the history again and waits for the answer: until it has come, the rows on screen
// are the previous answer's, which it will replace.
async function history(page) {
  await page.click('#history');
  await page.waitForSelector('#log-scroll[aria-busy=false]');
}

test('an app switcher lists the user\'s apps and switches without signing in again', async () => {
  const page = await h.openPage(browser);
  await h.signIn(page, server.url, { userId: 'bob', appId: 'shop', token: h.TOKENS.bob });
  await h.waitLive(page);
  await page.waitForSelector('#app-switch:not([hidden])');
  const options = await page.$$eval('#app-switch option', (os) => os.map((o) => [o.value, o.textContent]));
  assert.deepEqual(options, [['shop', 'Shop backend (shop)'], ['billing', 'Billing (billing)']]);  // as configured
  await h.waitForMessages(page, ['checkout failed']);
  await page.selectOption('#app-switch', 'billing');
  await h.waitForMessages(page, ['invoice sent'], { unwanted: ['checkout failed'] });
  assert.match(page.url(), /[?&]app=billing/);
  assert.equal(await page.isVisible('#signin'), false);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('"All my apps" merges the live entries of every app, each row marked with its app', async () => {
  const page = await h.openPage(browser);
  await h.signIn(page, server.url, { userId: 'bob', appId: 'shop', token: h.TOKENS.bob });
  await h.waitLive(page);
  await page.waitForSelector('#all-apps:not([hidden])');
  await page.click('#all-apps');
  assert.equal(await page.getAttribute('#all-apps', 'aria-pressed'), 'true');
  const producers = await Promise.all(['shop', 'billing'].map((appId) =>
    h.connectProducer(server.wsUrl, { userId: 'svc', appId, token: h.TOKENS.svc })));
  // Bob's other app, billing, gets its own viewer: wait until it is signed in.
  await page.waitForSelector('#all-apps[data-live="1"]');
  await producers[0].send([{ message: 'shop live' }]);
  await producers[1].send([{ message: 'billing live' }]);
  await h.waitForMessages(page, ['shop live', 'billing live']);
  const apps = await page.$$eval('#log-scroll .row:not(.marker) .msg', (els) =>
    Object.fromEntries(els.map((e) => [e.textContent, e.dataset.app])));
  assert.equal(apps['billing live'], 'billing');
  assert.equal(apps['shop live'], 'shop');
  producers.forEach((p) => p.close());
  await page.click('#all-apps');
  assert.equal(await page.getAttribute('#all-apps', 'aria-pressed'), 'false');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the view lives in the URL and survives a reload', async () => {
  const page = await h.openPage(browser);
  await h.signIn(page, server.url, { userId: 'alice', appId: 'shop', token: h.TOKENS.alice });
  await h.waitLive(page);
  await page.click('.level-toggle[data-level="info"]');
  await page.fill('#search', 'checkout');
  await page.press('#search', 'Enter');
  await page.click('#pause');
  await page.waitForFunction(() => /paused=1/.test(window.location.search));
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('app'), 'shop');
  assert.equal(url.searchParams.get('levels'), 'trace,debug,warn,error,fatal');
  assert.equal(url.searchParams.get('q'), 'checkout');
  await page.reload();
  await h.waitLive(page);
  assert.equal(await page.inputValue('#search'), 'checkout');
  assert.equal(await page.getAttribute('.level-toggle[data-level="info"]', 'aria-pressed'), 'false');
  assert.equal(await page.getAttribute('#pause', 'aria-pressed'), 'true');
  await page.click('#pause');
  await history(page);
  await h.waitForMessages(page, ['checkout failed'], { unwanted: ['checkout ok'] });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('field search, export of what is shown, the date of old entries and quick ranges', async () => {
  const page = await h.openPage(browser, { width: 1400, height: 900 });
  await h.signIn(page, server.url, { userId: 'alice', appId: 'shop', token: h.TOKENS.alice });
  await h.waitLive(page);
  await history(page);
  await h.waitForMessages(page, ['checkout failed', 'checkout ok', 'an old warning']);

  // The old entry shows its day; today's show the time of day.
  const times = await page.$$eval('#log-scroll .row:not(.marker)', (rows) =>
    Object.fromEntries(rows.map((r) => [r.querySelector('.msg').textContent, r.querySelector('.t').textContent])));
  assert.match(times['an old warning'], /^\d\d-\d\d \d\d:\d\d$|^\d{4}-\d\d-\d\d$/);
  assert.match(times['checkout ok'], /^\d\d:\d\d:\d\d$/);

  // A row expands to its metadata as name/value lines; a click on a value filters on it.
  const row = page.locator('#log-scroll .row:not(.marker)', { hasText: 'checkout ok' });
  await row.locator('.msg').click();
  await row.locator('.detail .field-value').first().waitFor();
  const fields = await row.locator('.detail .field-name').allTextContents();
  assert.deepEqual(fields.map((f) => f.trim()), ['status', 'user.id']);
  await row.locator('.field-value[data-term="user.id=7"]').click();
  assert.equal(await page.inputValue('#search'), 'user.id=7');
  await history(page);
  await h.waitForMessages(page, ['checkout ok'], { unwanted: ['checkout failed', 'an old warning'] });

  await page.fill('#search', 'status>=500');
  await page.press('#search', 'Enter');
  await history(page);
  await h.waitForMessages(page, ['checkout failed'], { unwanted: ['checkout ok', 'an old warning'] });

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  assert.equal(download.suggestedFilename(), 'shop-logs.csv');
  const csv = fs.readFileSync(await download.path(), 'utf8').split('\r\n');
  assert.equal(csv[0], 'timestamp,time,level,message,metadata,id,appId,userId');
  assert.equal(csv.length, 3);  // header, the one entry, the final line break
  assert.match(csv[1], /,error,checkout failed,/);
  const [nd] = await Promise.all([page.waitForEvent('download'), page.click('#export-ndjson')]);
  const lines = fs.readFileSync(await nd.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((e) => e.message), ['checkout failed']);

  await page.fill('#search', '');
  await page.press('#search', 'Enter');
  await page.click('.quick-range[data-range-ms="3600000"]');
  await h.waitForMessages(page, ['checkout failed', 'checkout ok'], { unwanted: ['an old warning'] });
  assert.notEqual(await page.inputValue('#start'), '');
  assert.match(page.url(), /[?&]from=\d+/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a write-only user is told what they can do; a wrong token is said once', async () => {
  const page = await h.openPage(browser);
  await h.signIn(page, server.url, { userId: 'svc', appId: 'shop', token: h.TOKENS.svc });
  await page.waitForSelector('#write-only:not([hidden])');
  assert.match(await page.textContent('#write-only'), /This user may send logs to shop, not read them/);
  assert.equal(await page.isVisible('#log-scroll'), false);
  await page.click('#sign-out');
  await h.submitSignIn(page, { userId: 'alice', appId: 'shop', token: 'wrong' });
  await page.waitForSelector('#signin-error:not([hidden])');
  assert.equal(await page.textContent('#signin-error-text'), 'Unknown user or wrong token.');
  assert.equal(await page.textContent('#signin-error-detail'), '');
  await page.context().close();
});

test('screenshots for docs/: desktop, phone and dark', async () => {
  const producer = await h.connectProducer(server.wsUrl, { userId: 'svc', appId: 'shop', token: h.TOKENS.svc });
  await producer.send(h.sampleLogs(40, 'day'));
  producer.close();
  const docs = path.join(__dirname, '../../docs');
  for (const view of [
    { name: 'dashboard-desktop', width: 1400, height: 900, colorScheme: 'light' },
    { name: 'dashboard-dark', width: 1400, height: 900, colorScheme: 'dark' },
    { name: 'dashboard-phone', width: 390, height: 844, colorScheme: 'light' },
  ]) {
    const page = await h.openPage(browser, view);
    await h.signIn(page, server.url, { userId: 'bob', appId: 'shop', token: h.TOKENS.bob });
    await h.waitLive(page);
    await history(page);
    await h.waitForMessages(page, ['feature flag checkout-v2 on for 25 % of users [day 40]']);
    // The status bar counts at most once a second: let it catch up before the picture.
    await page.waitForFunction(() => !/^0 rows/.test(document.querySelector('#stat-rows').textContent));
    if (view.width === 1400) {
      // Every chart is above the fold at 1400 x 900.
      await page.waitForSelector('.chart:not([data-points="0"])');
      const last = await page.locator('.chart').last().boundingBox();
      assert.ok(last.y + last.height <= view.height, JSON.stringify(last));
    }
    await h.screenshot(page, view.name);
    if (process.env.SMARTLOG_UPDATE_DOCS_SCREENSHOTS) {
      fs.copyFileSync(path.join(h.SCREENSHOTS, `${view.name}.png`), path.join(docs, `${view.name}.png`));
    }
    assert.deepEqual(page.problems, []);
    await page.context().close();
  }
});
