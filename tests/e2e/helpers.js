// Shared pieces of the browser tests: Debian's Chromium through playwright-core, a producer
// (tests/support/client.js), and a users file with hashed tokens.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { connectAs, sha256hex } = require('../support/client');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOTS = path.join(__dirname, 'screenshots');

// launch() gives every browser a fresh temporary user-data-dir of its own.
async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
}

// A page that records what the test must not see: script errors and CSP refusals.
async function openPage(browser, { colorScheme = 'light', width = 1360, height = 820 } = {}) {
  const context = await browser.newContext({ colorScheme, viewport: { width, height } });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.problems.push(`console: ${msg.text()}`);
  });
  return page;
}

async function signIn(page, url, credentials) {
  await page.goto(url);
  await submitSignIn(page, credentials);
}

async function submitSignIn(page, { userId, appId, token = '' }) {
  await page.fill('input[name=userId]', userId);
  await page.fill('input[name=appId]', appId);
  await page.fill('input[name=token]', token);
  await page.click('#signin-form button[type=submit]');
}

async function waitLive(page, timeout = 10000) {
  await page.waitForSelector('#conn[data-state=live]', { timeout });
}

// Messages of the log rows in the DOM (the list is virtualised: the rows in view).
function shownMessages(page) {
  return page.$$eval('#log-scroll .row:not(.marker) .msg', (els) => els.map((e) => e.textContent));
}

function shownMarkers(page) {
  return page.$$eval('#log-scroll .row.marker .msg', (els) => els.map((e) => e.textContent));
}

// Resolves once every string of `wanted` is a shown message, and `unwanted` none of them.
async function waitForMessages(page, wanted, { unwanted = [], timeout = 10000 } = {}) {
  try {
    await page.waitForFunction(([want, avoid]) => {
      const shown = new Set([...document.querySelectorAll('#log-scroll .row:not(.marker) .msg')]
        .map((e) => e.textContent));
      return want.every((m) => shown.has(m)) && !avoid.some((m) => shown.has(m));
    }, [wanted, unwanted], { timeout, polling: 50 });
  } catch (err) {
    throw new Error(`${err.message}\nwanted ${JSON.stringify(wanted)}, unwanted ` +
      `${JSON.stringify(unwanted)}, shown ${JSON.stringify(await shownMessages(page))}`);
  }
}

// A producer connection (tests/support/client.js underneath): `send` resolves on the batch's
// logs_ack, so the test knows the server holds the entries.
async function connectProducer(wsUrl, { userId, appId, token }) {
  const client = await connectAs(wsUrl, userId, appId, { token, mode: 'producer' });
  let nextRef = 0;
  return {
    send(logs) {
      const ref = `r${++nextRef}`;
      return client.request({ type: 'logs', ref, data: { logs } },
        (m) => m.type === 'logs_ack' && m.payload?.ref === ref, 10000);
    },
    // Sends without waiting for the ack: for floods. The acks are dropped unread.
    sendNow(logs) {
      client.send({ type: 'logs', data: { logs } });
      client.take('logs_ack');
    },
    sendMetrics(metrics) {
      client.send({ type: 'send_metrics', data: { metrics, timestamp: Date.now() } });
    },
    close() { client.close(); },
  };
}

// A users file: shop is active, legacy is not, billing exists but alice has no right on it.
const TOKENS = { alice: 'alice-secret', bob: 'bob-secret', svc: 'svc-secret' };
const USERS_TOML = `
[[apps]]
id = "shop"
name = "Shop backend"
active = true

[[apps]]
id = "legacy"
name = "Old shop"
active = false

[[apps]]
id = "billing"
name = "Billing"
active = true

[[users]]
id = "alice"
token_sha256 = "${sha256hex(TOKENS.alice)}"
apps = { shop = ["read", "write", "clear"], legacy = ["read"] }

[[users]]
id = "bob"
token_sha256 = "${sha256hex(TOKENS.bob)}"
apps = { shop = ["read"], billing = ["read"] }

[[users]]
id = "svc"
token_sha256 = "${sha256hex(TOKENS.svc)}"
apps = { shop = ["write"], billing = ["write"] }
`;

async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

// Log lines that look like a real service's, so screenshots show something readable.
function sampleLogs(n, tag) {
  const lines = [
    ['info', 'GET /api/orders 200 in 12 ms', { route: '/api/orders', status: 200, ms: 12 }],
    ['debug', 'cache miss for key user:4812', { key: 'user:4812' }],
    ['info', 'payment authorised for order 99812', { orderId: 99812, amount: 42.5, currency: 'EUR' }],
    ['trace', 'worker heartbeat', undefined],
    ['warn', 'slow query: SELECT * FROM orders WHERE status = ? took 812 ms', { ms: 812 }],
    ['info', 'user 4812 signed in', { userId: 4812, method: 'password' }],
    ['error', 'upstream timeout contacting inventory-service after 3 retries',
      { service: 'inventory', retries: 3, timeoutMs: 2000 }],
    ['info', 'POST /api/cart 201 in 31 ms', { route: '/api/cart', status: 201, ms: 31 }],
    ['fatal', 'database connection pool exhausted', { pool: 'primary', size: 20 }],
    ['debug', 'feature flag checkout-v2 on for 25 % of users', undefined],
  ];
  return Array.from({ length: n }, (_, i) => {
    const [level, message, metadata] = lines[i % lines.length];
    const entry = { level, message: `${message} [${tag} ${i + 1}]` };
    if (metadata) entry.metadata = { ...metadata, requestId: `req-${tag}-${i + 1}` };
    return entry;
  });
}

module.exports = {
  launchBrowser, openPage, signIn, submitSignIn, waitLive, shownMessages, shownMarkers, waitForMessages,
  connectProducer, screenshot, sampleLogs, TOKENS, USERS_TOML, SCREENSHOTS,
};
