// The server goes away and comes back on the same port: the page shows it is offline,
// reconnects and re-authenticates by itself, and resumes from the last entry it saw (docs/protocol.md).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { startServer, binary } = require('../support/server');
const h = require('./helpers');

const alice = { userId: 'alice', appId: 'shop', token: h.TOKENS.alice };
const svc = { userId: 'svc', appId: 'shop', token: h.TOKENS.svc };

let browser;
const servers = [];

async function start() {
  const server = await startServer({ toml: h.USERS_TOML });
  servers.push(server);
  return server;
}

// A new smartlogd on `old`'s port with its config, and its data directory unless `freshData`.
// support/server.js always passes `--listen 127.0.0.1:0` and smartlogd refuses a second
// --listen, so this spawns the binary itself.
async function restart(old, { freshData = false } = {}) {
  const dataDir = freshData ? path.join(old.dir, 'data-fresh') : path.join(old.dir, 'data');
  const proc = spawn(binary, ['--listen', `127.0.0.1:${old.port}`, '--data-dir', dataDir,
    '--config', path.join(old.dir, 'smartlog.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  await new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk) => {
      output += chunk;
      if (output.includes(`listening on http://127.0.0.1:${old.port}/`)) resolve();
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    exited.then((code) => reject(new Error(`smartlogd exited ${code}:\n${output}`)));
  });
  const server = {
    ...old,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
  servers.push(server);
  return server;
}

async function waitOffline(page) {
  await page.waitForFunction(() =>
    ['waiting', 'connecting'].includes(document.querySelector('#conn').dataset.state));
  assert.equal(await page.isVisible('#conn'), true);
}

async function waitForMarker(page, pattern) {
  await page.waitForFunction((source) => [...document.querySelectorAll('#log-scroll .row.marker .msg')]
    .some((el) => new RegExp(source).test(el.textContent)), pattern.source);
}

// Shown once each, oldest first.
async function assertShownInOrder(page, messages) {
  await h.waitForMessages(page, messages);
  const shown = await h.shownMessages(page);
  assert.equal(new Set(shown).size, shown.length, `no entry twice: ${JSON.stringify(shown)}`);
  const order = messages.map((m) => shown.indexOf(m));
  assert.deepEqual(order, [...order].sort((x, y) => x - y), JSON.stringify(shown));
}

before(async () => {
  browser = await h.launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const server of servers) await server.stop();
});

test('after a restart the page shows it is offline, then reconnects and re-authenticates',
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

    const second = await restart(first);
    producer = await h.connectProducer(second.wsUrl, svc);
    const late = h.sampleLogs(3, 'after restart');
    await producer.send(late);

    // No click: the page signs in again by itself.
    await h.waitLive(page, 15000);
    assert.equal(await page.isVisible('#signin'), false);
    // Live comes with auth_success; the marker with the resume answer that follows it.
    await waitForMarker(page, /^Reconnected/);
    const markers = await h.shownMarkers(page);
    assert.ok(markers.some((m) => /^Reconnected/.test(m)), JSON.stringify(markers));
    // The history survived the restart (docs/storage.md), so the last entry seen is still known.
    assert.equal(markers.some((m) => /^Gap/.test(m)), false, JSON.stringify(markers));
    await producer.send([{ level: 'warn', message: 'live after the restart' }]);
    await assertShownInOrder(page,
      [...early, ...late].map((l) => l.message).concat('live after the restart'));
    producer.close();
    await page.context().close();
    await second.stop();
  });

test('after a dropped connection the page resumes from the last entry it saw, without a gap',
  async () => {
    const server = await start();
    const page = await h.openPage(browser);
    // Stands for a proxy that cuts the connection while smartlogd keeps running.
    const sockets = [];
    await page.routeWebSocket(/\/ws$/, (ws) => {
      const socket = { page: ws, server: ws.connectToServer(), sent: [] };
      ws.onMessage((frame) => {
        socket.sent.push(JSON.parse(frame));
        socket.server.send(frame);
      });
      sockets.push(socket);
    });
    await h.signIn(page, server.url, alice);
    await h.waitLive(page);
    const producer = await h.connectProducer(server.wsUrl, svc);
    const early = h.sampleLogs(3, 'before the cut');
    await producer.send(early);
    await h.waitForMessages(page, early.map((l) => l.message));

    const cut = sockets[sockets.length - 1];
    await cut.server.close();
    await cut.page.close({ code: 4001, reason: 'proxy went away' });
    await waitOffline(page);
    const missed = h.sampleLogs(3, 'while cut');
    await producer.send(missed);

    await h.waitLive(page);
    await assertShownInOrder(page, [...early, ...missed].map((l) => l.message));
    await waitForMarker(page, /^Reconnected/);
    const markers = await h.shownMarkers(page);
    assert.ok(markers.some((m) => /^Reconnected/.test(m)), JSON.stringify(markers));
    assert.equal(markers.some((m) => /^Gap/.test(m)), false, JSON.stringify(markers));
    assert.equal(sockets.length, 2);
    const resume = sockets[1].sent.find((m) => m.type === 'request_history');
    assert.equal(typeof resume?.afterId, 'string', JSON.stringify(sockets[1].sent));
    producer.close();
    await page.context().close();
    await server.stop();
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
