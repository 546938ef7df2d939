// The dashboard against the real smartlogd: sign-in, live entries, level filter, history,
// clear and the CSP the server sends. Also saves the screenshots of the main views.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const h = require('./helpers');

const alice = { userId: 'alice', appId: 'shop', token: h.TOKENS.alice };
const bob = { userId: 'bob', appId: 'shop', token: h.TOKENS.bob };
const svc = { userId: 'svc', appId: 'shop', token: h.TOKENS.svc };

let server;
let browser;
let producer;

before(async () => {
  [server, browser] = await Promise.all([
    startServer({ toml: h.USERS_TOML, args: ['--metrics-interval', '100ms'] }),
    h.launchBrowser(),
  ]);
  producer = await h.connectProducer(server.wsUrl, svc);
});

after(async () => {
  producer?.close();
  await browser?.close();
  await server?.stop();
});

test('the page is served with its assets, and runs under the CSP without complaint', async () => {
  const res = await fetch(server.url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  const csp = res.headers.get('content-security-policy') || '';
  assert.match(csp, /script-src 'self'/, 'smartlogd sends its CSP');
  const js = await fetch(new URL('js/main.js', server.url));
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /javascript/);

  const page = await h.openPage(browser);
  await h.signIn(page, server.url, alice);
  await h.waitLive(page);
  await page.waitForSelector('.chart[data-chart=cpu] canvas');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('signed in, entries sent by a producer appear live with their level and metadata', async () => {
  const page = await h.openPage(browser);
  await h.signIn(page, server.url, alice);
  await h.waitLive(page);
  assert.equal(await page.textContent('#conn-text'), 'Live');
  assert.equal(await page.textContent('#who-app'), 'shop');

  const logs = h.sampleLogs(10, 'live');
  await producer.send(logs);
  await h.waitForMessages(page, logs.map((l) => l.message));

  const error = page.locator('.row.lvl-error', { hasText: '[live 7]' });
  assert.equal((await error.locator('.lvl').textContent()).toLowerCase(), 'error');
  // The level's colour comes from the theme, not the text colour of the row.
  const colours = await error.evaluate((row) => ({
    level: getComputedStyle(row.querySelector('.lvl')).color,
    text: getComputedStyle(row.querySelector('.msg')).color,
  }));
  assert.notEqual(colours.level, colours.text);

  await error.click();
  const detail = page.locator('.row.lvl-error .detail');
  await detail.waitFor();
  const text = await detail.textContent();
  // Metadata as one field per line, each value a filter (daily.test.js clicks one).
  assert.match(text, /service\s+inventory/);
  assert.match(text, /requestId\s+req-live-7/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a level filter hides the other levels, in history and live', async () => {
  const page = await h.openPage(browser);
  await h.signIn(page, server.url, alice);
  await h.waitLive(page);
  const before = [
    { level: 'info', message: 'filter: info before' },
    { level: 'error', message: 'filter: error before' },
    { level: 'warn', message: 'filter: warn before' },
  ];
  await producer.send(before);
  await h.waitForMessages(page, before.map((l) => l.message));

  // Shift+click shows one level alone.
  await page.click('.level-toggle[data-level=error]', { modifiers: ['Shift'] });
  await h.waitForMessages(page, ['filter: error before'],
    { unwanted: ['filter: info before', 'filter: warn before'] });
  assert.equal(await page.getAttribute('.level-toggle[data-level=info]', 'aria-pressed'), 'false');
  assert.equal(await page.getAttribute('.level-toggle[data-level=error]', 'aria-pressed'), 'true');

  await producer.send([
    { level: 'info', message: 'filter: info after' },
    { level: 'error', message: 'filter: error after' },
  ]);
  await h.waitForMessages(page, ['filter: error before', 'filter: error after'],
    { unwanted: ['filter: info after'] });
  const levels = await page.$$eval('#log-scroll .row:not(.marker) .lvl', (els) =>
    [...new Set(els.map((e) => e.textContent))]);
  assert.deepEqual(levels, ['error']);

  // Key 3 brings info back (1-6 toggle trace..fatal).
  await page.click('#log-scroll');
  await page.keyboard.press('3');
  await h.waitForMessages(page, ['filter: info before', 'filter: info after', 'filter: error after'],
    { unwanted: ['filter: warn before'] });
  await page.context().close();
});

test('entries sent before the page opened load from history', async () => {
  const logs = h.sampleLogs(5, 'history');
  await producer.send(logs);
  const page = await h.openPage(browser);
  await h.signIn(page, server.url, alice);
  await h.waitForMessages(page, logs.map((l) => l.message));

  // Narrowing by text, then loading history again, keeps only what matches.
  await page.fill('#search', 'history 3]');
  await h.waitForMessages(page, [logs[2].message], { unwanted: [logs[0].message] });
  await page.fill('#search', '');
  await page.click('#history');
  await page.waitForSelector('#log-scroll[aria-busy=false]');
  await h.waitForMessages(page, logs.map((l) => l.message));

  // A time range that starts tomorrow holds nothing; "any time" brings everything back.
  const tomorrow = await page.evaluate(() => {
    const d = new Date(Date.now() + 86400000);
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:00`;
  });
  await page.fill('#start', tomorrow);
  await page.dispatchEvent('#start', 'change');
  await page.waitForSelector('#log-scroll.is-empty');
  await page.click('#range-reset');
  await h.waitForMessages(page, logs.map((l) => l.message));
  await page.context().close();
});

test('clear asks first, empties the view, and tells other viewers', async () => {
  const page = await h.openPage(browser);
  await h.signIn(page, server.url, alice);
  const other = await h.openPage(browser);
  await h.signIn(other, server.url, bob);
  await Promise.all([h.waitLive(page), h.waitLive(other)]);

  const logs = h.sampleLogs(4, 'clear');
  await producer.send(logs);
  await h.waitForMessages(page, logs.map((l) => l.message));
  await h.waitForMessages(other, logs.map((l) => l.message));

  // bob may read but not clear: no button for him.
  assert.equal(await other.isVisible('#clear'), false);
  assert.equal(await page.isVisible('#clear'), true);

  await page.click('#clear');
  await page.waitForSelector('#confirm-clear[open]');
  await page.click('#confirm-clear button[value=cancel]');
  assert.equal((await h.shownMessages(page)).length > 0, true, 'cancel keeps everything');

  await page.click('#clear');
  await page.click('#confirm-clear button[value=clear]');
  for (const p of [page, other]) {
    await p.waitForFunction(() =>
      document.querySelectorAll('#log-scroll .row:not(.marker)').length === 0 &&
      /History cleared by alice/.test(document.querySelector('#log-scroll').textContent));
  }

  // Cleared means cleared on the server too: a fresh page loads no history.
  const fresh = await h.openPage(browser);
  await h.signIn(fresh, server.url, alice);
  await h.waitLive(fresh);
  await producer.send([{ level: 'info', message: 'after the clear' }]);
  await h.waitForMessages(fresh, ['after the clear'], { unwanted: logs.map((l) => l.message) });
  for (const p of [page, other, fresh]) await p.context().close();
});

test('from the keyboard: help, pause without losing lines, select, expand, follow, theme',
  async () => {
    const page = await h.openPage(browser);
    await h.signIn(page, server.url, alice);
    await h.waitLive(page);
    // After sign-in the list has the focus, so shortcuts work at once.
    assert.equal(await page.evaluate(() => document.activeElement.id), 'log-scroll');

    await page.keyboard.press('?');
    await page.waitForSelector('#help[open]');
    assert.match(await page.textContent('#help'), /Pause \/ resume/);
    await page.keyboard.press('Escape');
    await page.waitForSelector('#help', { state: 'hidden' });

    await page.keyboard.press('p');
    assert.equal(await page.getAttribute('#pause', 'aria-pressed'), 'true');
    const held = h.sampleLogs(3, 'paused');
    await producer.send(held);
    await page.waitForFunction(() => /Resume \(3 new\)/.test(document.querySelector('#pause').textContent));
    for (const m of held) assert.equal((await h.shownMessages(page)).includes(m.message), false);
    await page.keyboard.press('p');
    await h.waitForMessages(page, held.map((l) => l.message));

    // k selects the newest row in view, Enter opens it.
    await page.keyboard.press('k');
    await page.keyboard.press('Enter');
    const open = page.locator('.row.selected[aria-expanded=true] .detail');
    await open.waitFor();
    assert.match(await open.textContent(), /paused 3\]/);

    // Scrolling up stops following; F follows again.
    await producer.send(h.sampleLogs(60, 'scroll'));
    await h.waitForMessages(page, ['feature flag checkout-v2 on for 25 % of users [scroll 60]']);
    await page.mouse.move(400, 400);
    await page.mouse.wheel(0, -600);
    // The wheel event stops following at once, before the list has moved; an F pressed in
    // between would be undone by the scroll that follows. Wait for both.
    await page.waitForFunction(() => {
      const list = document.querySelector('#log-scroll');
      return document.querySelector('#follow').getAttribute('aria-pressed') === 'false' &&
        list.scrollTop + list.clientHeight < list.scrollHeight - 100;
    });
    await producer.send([{ level: 'info', message: 'arrives while scrolled up' }]);
    await page.keyboard.press('f');
    await h.waitForMessages(page, ['arrives while scrolled up']);
    await page.waitForSelector('#follow[aria-pressed=true]');

    // Focus is visible on whatever the keyboard reaches. The log is the page's last focusable
    // element (once the expanded row has scrolled out of the window), so go back from it.
    await page.keyboard.press('Shift+Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none');

    const before = await page.getAttribute('html', 'data-theme');
    await page.keyboard.press('t');
    assert.notEqual(await page.getAttribute('html', 'data-theme'), before);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

test('screenshots: light and dark with live data, and a phone width', async () => {
  const views = [
    // Tall enough to show all six charts beside the list.
    { name: 'dashboard-light', colorScheme: 'light', width: 1440, height: 1000 },
    { name: 'dashboard-dark', colorScheme: 'dark', width: 1440, height: 1000 },
    { name: 'dashboard-phone', colorScheme: 'light', width: 390, height: 844 },
  ];
  for (const view of views) {
    const page = await h.openPage(browser, view);
    await h.signIn(page, server.url, alice);
    await h.waitLive(page);
    await producer.send(h.sampleLogs(40, view.name.split('-')[1]));
    // A few metrics samples, so the charts show lines rather than dots.
    await page.waitForFunction(() =>
      Number(document.querySelector('.chart[data-chart=cpu]')?.dataset.points) >= 8);
    await page.waitForFunction(() =>
      document.querySelectorAll('#log-scroll .row:not(.marker)').length >= 20);
    assert.equal(await page.getAttribute('html', 'data-theme'), view.colorScheme);
    // The pointer stays where sign-in left it; a hovered row would look selected.
    await page.mouse.move(0, 0);
    await h.screenshot(page, view.name);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  }
});

test('a long pause keeps 5,000 lines waiting and says how many more it could not keep',
  async () => {
    const page = await h.openPage(browser);
    await h.signIn(page, server.url, alice);
    await h.waitLive(page);
    await page.click('#pause');
    const before = Number(await page.getAttribute('#stat-rate', 'data-total'));
    for (let batch = 0; batch < 13; batch++) {
      await producer.send(Array.from({ length: 500 }, (_, i) =>
        ({ level: 'debug', message: `flood ${batch * 500 + i + 1}` })));
    }
    // Everything arrived; the label counts what waits, at most 5,000 plus a trimming margin.
    await page.waitForFunction((n) =>
      Number(document.querySelector('#stat-rate').dataset.total) >= n, before + 6500);
    assert.match(await page.textContent('#pause'), /^Resume \(5,\d{3} new\)$/);
    await page.click('#pause');
    await h.waitForMessages(page, ['flood 6500']);
    // 4,999 entries and the notice fill the 5,000 rows: 6,500 - 4,999 were not kept.
    await page.evaluate(() => { document.querySelector('#log-scroll').scrollTop = 0; });
    await page.waitForFunction(() => [...document.querySelectorAll('#log-scroll .marker-dropped')]
      .some((row) => /^1,501 lines arrived while paused beyond the 5,000-line buffer/.test(row.textContent)));
    // The status line follows within a quarter of a second.
    await page.waitForFunction(() =>
      /^5,000 rows/.test(document.querySelector('#stat-rows').textContent));
    await page.context().close();
  });
