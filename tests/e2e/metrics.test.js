// The metrics charts gain points as smartlogd pushes samples, and app_metrics are shown.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const h = require('./helpers');

const alice = { userId: 'alice', appId: 'shop', token: h.TOKENS.alice };
const svc = { userId: 'svc', appId: 'shop', token: h.TOKENS.svc };
const CHARTS = ['cpu', 'memory', 'disk', 'network', 'connections', 'rates'];

let server;
let browser;

before(async () => {
  [server, browser] = await Promise.all([
    startServer({ toml: h.USERS_TOML, args: ['--metrics-interval', '200ms'] }),
    h.launchBrowser(),
  ]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const points = (page) => page.$$eval('.chart', (charts) =>
  Object.fromEntries(charts.map((c) => [c.dataset.chart, Number(c.dataset.points)])));

test('every chart gains points as samples arrive', async () => {
  const page = await h.openPage(browser);
  await h.signIn(page, server.url, alice);
  await h.waitLive(page);
  // request_metrics right after auth: one point without waiting for the interval.
  await page.waitForFunction(() => Number(document.querySelector('.chart').dataset.points) >= 1);
  const first = await points(page);
  assert.deepEqual(Object.keys(first).sort(), [...CHARTS].sort());

  await page.waitForFunction((n) => Number(document.querySelector('.chart').dataset.points) >= n,
    first.cpu + 3);
  const later = await points(page);
  for (const chart of CHARTS) assert.ok(later[chart] >= first[chart] + 3, chart);
  for (const chart of CHARTS) {
    assert.equal(await page.locator(`.chart[data-chart=${chart}] canvas`).count(), 1, chart);
  }

  // Real values, in their units.
  const cpu = await page.textContent('.chart[data-chart=cpu] .chart-value b');
  assert.match(cpu, /^\d+(\.\d)? %$/);
  assert.match(await page.textContent('.chart[data-chart=memory] .chart-value b'), /iB$/);
  assert.match(await page.textContent('.chart[data-chart=memory] .chart-note'), /^of .*iB$/);
  // This viewer is an authenticated connection on the app.
  await page.waitForFunction(() => Number(document.querySelector(
    '.chart[data-chart=connections] .series-1 b').textContent) >= 1);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('entries per second follow what a producer sends', async () => {
  const page = await h.openPage(browser);
  await h.signIn(page, server.url, alice);
  await h.waitLive(page);
  const producer = await h.connectProducer(server.wsUrl, svc);
  // Watched while sending: the rates fall back to zero one interval after the producer stops.
  const seen = page.waitForFunction(() => {
    const v = (n) => Number(document.querySelector(
      `.chart[data-chart=rates] .series-${n} b`).textContent.replace(/,/g, ''));
    return v(1) > 0 && v(2) > 0;
  }, null, { timeout: 5000 });
  for (let i = 0; i < 10; i++) {
    await producer.send([{ level: 'error', message: `rate ${i}` }, { level: 'info', message: `rate ${i}` }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await seen;
  producer.close();
  await page.context().close();
});

test('app metrics sent by a producer are shown', async () => {
  const page = await h.openPage(browser);
  await h.signIn(page, server.url, alice);
  await h.waitLive(page);
  assert.equal(await page.isVisible('#app-metrics'), false);
  const producer = await h.connectProducer(server.wsUrl, svc);
  producer.sendMetrics({ queueDepth: 17, workers: { busy: 3, idle: 5 }, version: '2.4.1' });
  await page.waitForSelector('#app-metrics:not([hidden])');
  const text = await page.textContent('#app-metrics-list');
  assert.match(text, /queueDepth\s*17/);
  assert.match(text, /workers\.busy\s*3/);
  assert.match(text, /version\s*2\.4\.1/);
  assert.match(await page.textContent('#app-metrics-source'), /from svc/);
  producer.close();
  await page.context().close();
});
