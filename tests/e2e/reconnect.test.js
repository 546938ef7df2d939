// The server goes away and comes back on the same port: the page shows it is offline,
// reconnects and re-authenticates by itself, and resumes from the last entry it saw (SPEC 3.3).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startServer } = require('../support/server');
const h = require('./helpers');

const alice = { userId: 'alice', appId: 'shop', token: h.TOKENS.alice };
const svc = { userId: 'svc', appId: 'shop', token: h.TOKENS.svc };

let browser;
const servers = [];

async function start(args = []) {
  const server = await startServer({ toml: h.USERS_TOML, args });
  servers.push(server);
  return server;
}

// Starts a new smartlogd on `old`'s port, keeping its data directory unless `freshData`.
function restart(old, { freshData = false } = {}) {
  const args = ['--listen', `127.0.0.1:${old.port}`];
  if (!freshData) args.push('--data-dir', path.join(old.dir, 'data'));
  return start(args);
}

async function waitOffline(page) {
  await page.waitForFunction(() =>
    ['waiting', 'connecting'].includes(document.querySelector('#conn').dataset.state));
  assert.equal(await page.isVisible('#conn'), true);
}

before(async () => {
  browser = await h.launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const server of servers) await server.stop();
});

test('after a restart the page reconnects, re-authenticates and resumes without duplicates',
  async () => {
    const first = await start();
    const page = await h.openPage(browser);
    await h.signIn(page, first.url, alice);
    await h.waitLive(page);

    let producer = await h.connectProducer(first.wsUrl, svc);
    const early = h.sampleLogs(3, 'before restart');
    await producer.send(early);
    await h.waitForMessages(page, early.map((l) => l.message));
    producer.close();

    await first.stop();
    await waitOffline(page);
    assert.match(await page.textContent('#conn-text'), /Offline|Reconnecting|Connecting/);

    // Entries sent to the new server before the page is back come with its afterId resume.
    const second = await restart(first);
    producer = await h.connectProducer(second.wsUrl, svc);
    const late = h.sampleLogs(3, 'after restart');
    await producer.send(late);

    await h.waitLive(page, 15000);
    await h.waitForMessages(page, [...early, ...late].map((l) => l.message));
    const shown = await h.shownMessages(page);
    assert.equal(new Set(shown).size, shown.length, `no entry twice: ${JSON.stringify(shown)}`);
    // Oldest first, as they were sent.
    const order = [...early, ...late].map((l) => shown.indexOf(l.message));
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
    assert.ok((await h.shownMarkers(page)).some((m) => /^Reconnected/.test(m)));
    assert.equal((await h.shownMarkers(page)).some((m) => /^Gap/.test(m)), false);

    // Still the same signed-in session: live entries keep coming.
    await producer.send([{ level: 'warn', message: 'live after reconnect' }]);
    await h.waitForMessages(page, ['live after reconnect']);
    producer.close();
    await page.context().close();
    await second.stop();
  });

test('a server that lost the history makes the page show a gap marker', async () => {
  const first = await start();
  const page = await h.openPage(browser);
  await h.signIn(page, first.url, alice);
  await h.waitLive(page);
  const producer = await h.connectProducer(first.wsUrl, svc);
  await producer.send([{ level: 'info', message: 'seen before the gap' }]);
  await h.waitForMessages(page, ['seen before the gap']);
  producer.close();

  await first.stop();
  await waitOffline(page);
  const second = await restart(first, { freshData: true });
  await h.waitLive(page, 15000);
  await page.waitForFunction(() => [...document.querySelectorAll('#log-scroll .row.marker-gap')]
    .some((row) => /^Gap/.test(row.textContent)));
  assert.deepEqual(await h.shownMessages(page), ['seen before the gap']);
  await page.context().close();
  await second.stop();
});

test('a dropped notice says how many entries were missed', async () => {
  const server = await start();
  const page = await h.openPage(browser);
  // smartlogd sends `dropped` only to a viewer that fell 8 MiB behind, which a test browser
  // never does: add one to the real stream on its way to the page.
  let toPage = null;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    ws.connectToServer();
    toPage = ws;
  });
  await h.signIn(page, server.url, alice);
  await h.waitLive(page);
  toPage.send(JSON.stringify({ type: 'dropped', payload: { count: 1234, afterId: 'x' } }));
  await page.waitForFunction(() =>
    /Missed 1,234 entries/.test(document.querySelector('#log-scroll .marker-dropped')?.textContent));
  await page.context().close();
  await server.stop();
});
