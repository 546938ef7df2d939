// The dashboard with what the original NehonixSmartLogger library sends: its `log` level (its
// default), a level of an app's own, an encrypted entry, and an entry the server refuses.
// Saves docs/original_client.png when SMARTLOG_UPDATE_DOCS_SCREENSHOTS is set.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { startServer } = require('../support/server');
const { connectAs } = require('../support/client');
const h = require('./helpers');

const alice = { userId: 'alice', appId: 'shop', token: h.TOKENS.alice };

let server;
let browser;
let producer;

before(async () => {
  [server, browser] = await Promise.all([
    startServer({ toml: h.USERS_TOML, args: ['--metrics-interval', '200ms'] }),
    h.launchBrowser(),
  ]);
  producer = await connectAs(server.wsUrl, 'svc', 'shop', { token: h.TOKENS.svc, mode: 'producer' });
});

after(async () => {
  producer?.close();
  await browser?.close();
  await server?.stop();
});

let nextRef = 0;
function send(logs, extra = {}) {
  const ref = `r${++nextRef}`;
  return producer.request({ type: 'logs', ref, data: { logs, ...extra } },
    (m) => m.type === 'logs_ack' && m.payload?.ref === ref, 10000);
}

// The library's encryption mode: AES-256-CBC "iv:data" in hex, the app key under a fresh
// transmission key.
function encrypt(text, keyHex) {
  const iv = crypto.randomBytes(16);
  const cipher = crypto.createCipheriv('aes-256-cbc', Buffer.from(keyHex, 'hex'), iv);
  return `${iv.toString('hex')}:${cipher.update(text, 'utf8', 'hex')}${cipher.final('hex')}`;
}

const at = (offsetMs) => new Date(Date.now() - offsetMs).toISOString();

const pressed = (page, level) =>
  page.getAttribute(`.level-toggle[data-level="${level}"]`, 'aria-pressed');

test('log-level entries, an app\'s own level and an encrypted entry: shown, filterable, marked', async () => {
  const plain = [
    { timestamp: at(9000), level: 'info', message: 'Server started on port 8080' },
    { timestamp: at(8000), level: 'log', message: 'GET /api/orders 200 12ms', metadata: { route: '/api/orders', ms: 12 } },
    { timestamp: at(7000), level: 'debug', message: 'cache miss user:4812' },
    { timestamp: at(6000), level: 'log', message: 'order 99812 created', metadata: { orderId: 99812 } },
    { timestamp: at(5000), level: 'audit', message: 'alice exported the orders report' },
    { timestamp: at(4000), level: 'warn', message: 'slow query took 812ms' },
    { timestamp: at(3000), level: 'error', message: 'upstream timeout contacting inventory-service' },
  ];
  for (const entry of plain) await send([entry]);
  const appKey = crypto.randomBytes(32).toString('hex');
  const transmissionKey = crypto.randomBytes(32).toString('hex');
  const secret = 'card 4111 1111 1111 1111 charged 42.50 EUR';
  const encrypted = { timestamp: at(2000), level: 'log', message: encrypt(secret, appKey), encrypted: true };
  await send([encrypted], {
    encryption: { isEncrypted: true, transmissionKey, encryptedKey: encrypt(appKey, transmissionKey) },
  });
  await send([{ timestamp: at(1000), level: 'log', message: 'payment confirmed for order 99812' }]);

  // Tall enough for the screenshot to show the Entries/s chart with its rejected count.
  const page = await h.openPage(browser, { height: 1240 });
  await h.signIn(page, server.url, alice);
  await h.waitLive(page);
  const logMessages = ['GET /api/orders 200 12ms', 'order 99812 created', 'payment confirmed for order 99812'];
  await h.waitForMessages(page, [...plain.map((e) => e.message), encrypted.message, logMessages[2]]);

  // A toggle for every level the app has: `log` in its place between debug and info, `audit`
  // after the six.
  const order = await page.$$eval('.level-toggle', (els) => els.map((e) => e.dataset.level));
  assert.deepEqual(order, ['trace', 'debug', 'log', 'info', 'warn', 'error', 'fatal', 'audit']);
  const logRow = page.locator('.row.lvl-log', { hasText: 'order 99812 created' });
  assert.equal((await logRow.locator('.lvl').textContent()).toLowerCase(), 'log');

  // Switching another level off keeps `log` entries (they used to vanish here).
  await page.click('.level-toggle[data-level="info"]');
  assert.equal(await pressed(page, 'info'), 'false');
  await h.waitForMessages(page, [...logMessages, 'alice exported the orders report'],
    { unwanted: ['Server started on port 8080'] });

  // The encrypted entry: marked, its ciphertext shown as such, its keys in the expanded row.
  const secretRow = page.locator('.row.encrypted');
  assert.equal(await secretRow.count(), 1);
  assert.equal(await secretRow.locator('.msg').textContent(), encrypted.message);
  const mark = await secretRow.locator('.msg').evaluate((el) => getComputedStyle(el, '::before').content);
  assert.equal(mark, '"encrypted"');
  assert.equal(await page.locator('.row.encrypted', { hasText: secret }).count(), 0);
  assert.equal(await page.locator('.row:not(.encrypted)', { hasText: 'order 99812 created' }).count(), 1);

  // An entry the server refuses (metadata over 16 KiB) shows in the metrics panel.
  const ack = await send([{ level: 'log', message: 'too much', metadata: { blob: 'x'.repeat(17 * 1024) } }]);
  assert.equal(ack.payload.rejected.length, 1);
  await page.waitForFunction(() => {
    const note = document.querySelector('.chart[data-chart=rates] .chart-note');
    return note && note.textContent === '1 rejected' && note.classList.contains('alert');
  }, null, { timeout: 10000 });

  await page.locator('.row.encrypted').click();
  const detail = page.locator('.row.encrypted .detail');
  await detail.waitFor();
  const text = await detail.textContent();
  assert.match(text, /encrypted yes/);
  assert.match(text, new RegExp(`transmissionKey ${transmissionKey}`));

  await h.screenshot(page, 'original_client');
  // The checkout changes only when asked to (as for the other screenshots of docs/).
  if (process.env.SMARTLOG_UPDATE_DOCS_SCREENSHOTS) {
    fs.copyFileSync(path.join(h.SCREENSHOTS, 'original_client.png'),
      path.join(__dirname, '../../docs/original_client.png'));
  }

  // The `log` toggle works like the others: off hides them, on brings them back.
  await page.click('.level-toggle[data-level="log"]');
  assert.equal(await pressed(page, 'log'), 'false');
  await h.waitForMessages(page, ['alice exported the orders report'], { unwanted: logMessages });
  await page.click('.level-toggle[data-level="log"]');
  await h.waitForMessages(page, logMessages);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
