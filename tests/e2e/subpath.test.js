// Behind a reverse proxy at a sub-path (docs/operations.md): the page's assets and its WebSocket are
// all relative, so https://example.com/smartlog/ works with a proxy that strips "/smartlog".
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { startServer } = require('../support/server');
const h = require('./helpers');

const PREFIX = '/smartlog';

let server;
let browser;
let proxy;
const seen = [];

// The smallest proxy that does the job: strips the prefix from HTTP requests and upgrades.
function startProxy(port) {
  const upstreamPath = (url) => url.slice(PREFIX.length) || '/';
  const p = http.createServer((req, res) => {
    seen.push(req.url);
    if (!req.url.startsWith(`${PREFIX}/`)) {
      res.writeHead(404).end();
      return;
    }
    const upstream = http.request({
      host: '127.0.0.1', port, method: req.method, path: upstreamPath(req.url), headers: req.headers,
    }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  p.on('upgrade', (req, socket, head) => {
    seen.push(req.url);
    if (!req.url.startsWith(`${PREFIX}/`)) {
      socket.destroy();
      return;
    }
    const upstream = net.connect(port, '127.0.0.1', () => {
      let lines = `${req.method} ${upstreamPath(req.url)} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        lines += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      }
      upstream.write(`${lines}\r\n`);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  return new Promise((resolve) => p.listen(0, '127.0.0.1', () => resolve(p)));
}

before(async () => {
  [server, browser] = await Promise.all([startServer({ toml: h.USERS_TOML }), h.launchBrowser()]);
  proxy = await startProxy(server.port);
});

after(async () => {
  proxy?.closeAllConnections();
  proxy?.close();
  await browser?.close();
  await server?.stop();
});

test('the page works behind a proxy at a sub-path', async () => {
  const page = await h.openPage(browser);
  const url = `http://127.0.0.1:${proxy.address().port}${PREFIX}/`;
  await h.signIn(page, url, { userId: 'alice', appId: 'shop', token: h.TOKENS.alice });
  await h.waitLive(page);
  const producer = await h.connectProducer(server.wsUrl,
    { userId: 'svc', appId: 'shop', token: h.TOKENS.svc });
  await producer.send([{ level: 'info', message: 'through the proxy' }]);
  await h.waitForMessages(page, ['through the proxy']);
  producer.close();

  // Every request the page made stayed under the prefix, the WebSocket included.
  assert.ok(seen.includes(`${PREFIX}/ws`), JSON.stringify(seen));
  assert.ok(seen.includes(`${PREFIX}/js/main.js`), JSON.stringify(seen));
  assert.deepEqual(seen.filter((u) => !u.startsWith(`${PREFIX}/`)), []);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
