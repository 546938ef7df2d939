// The nginx configuration of docs/operations.md, as written there, under Debian's nginx in front
// of smartlogd at a sub-path: the dashboard signs in and tails live entries through it, its
// WebSocket upgraded by nginx, and the HTTP API answers through it too.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('../support/server');
const { waitFor } = require('../support/client');
const h = require('./helpers');

const NGINX = process.env.NGINX || '/usr/sbin/nginx';
const PREFIX = '/smartlog';

let server;
let browser;
let nginx;
let nginxPort;
let work;

// The ```nginx block of docs/operations.md.
function documentedConfig() {
  const doc = fs.readFileSync(path.join(__dirname, '../../docs/operations.md'), 'utf8');
  const m = doc.match(/```nginx\n([\s\S]*?)```/);
  assert.ok(m, 'docs/operations.md has an nginx block');
  return m[1];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// nginx in the foreground with everything it writes under `dir`: no root paths, no daemon.
function nginxConf(dir, port, upstream) {
  const site = documentedConfig()
    .replace('listen 80;', `listen 127.0.0.1:${port};`)
    .replace('http://127.0.0.1:3001/', `http://127.0.0.1:${upstream}/`);
  assert.ok(site.includes(`listen 127.0.0.1:${port};`) && site.includes(`:${upstream}/`), site);
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${site}
}
`;
}

before(async () => {
  [server, browser] = await Promise.all([startServer({ toml: h.USERS_TOML }), h.launchBrowser()]);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'smartlog-nginx-'));
  nginxPort = await freePort();
  fs.writeFileSync(path.join(work, 'nginx.conf'), nginxConf(work, nginxPort, server.port));
  const check = spawnSync(NGINX, ['-t', '-p', work, '-c', path.join(work, 'nginx.conf')], { encoding: 'utf8' });
  assert.equal(check.status, 0, `nginx -t:\n${check.stderr}`);
  nginx = spawn(NGINX, ['-p', work, '-c', path.join(work, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  nginx.stderr.on('data', (d) => { output += d; });
  // Ready once it answers; a proxied 200 from smartlogd's /healthz says the upstream is right.
  await waitFor(async () => {
    if (nginx.exitCode !== null) throw new Error(`nginx exited ${nginx.exitCode}:\n${output}`);
    try {
      const res = await fetch(`http://127.0.0.1:${nginxPort}${PREFIX}/healthz`);
      return res.status === 200;
    } catch {
      return false;
    }
  }, { timeoutMs: 10000, what: 'nginx to answer' });
});

after(async () => {
  await browser?.close();
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx.on('exit', resolve));
    nginx.kill('SIGQUIT');
    await exited;
  }
  await server?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the dashboard works through nginx at a sub-path, WebSocket included', async () => {
  const page = await h.openPage(browser);
  const url = `http://127.0.0.1:${nginxPort}${PREFIX}/`;
  await h.signIn(page, url, { userId: 'alice', appId: 'shop', token: h.TOKENS.alice });
  await h.waitLive(page);
  const producer = await h.connectProducer(server.wsUrl, { userId: 'svc', appId: 'shop', token: h.TOKENS.svc });
  await producer.send([{ level: 'warn', message: 'through nginx' }]);
  await h.waitForMessages(page, ['through nginx']);
  producer.close();
  assert.deepEqual(page.problems, []);
  await page.context().close();

  // nginx saw the upgrade: a 101 on /smartlog/ws in its access log, written once the
  // WebSocket closed with the page.
  const log = () => fs.readFileSync(path.join(work, 'access.log'), 'utf8');
  await waitFor(() => /"GET \/smartlog\/ws HTTP\/1\.1" 101 /.test(log()), { what: 'the upgrade in the access log' });
});

test('the HTTP API answers through nginx', async () => {
  const res = await fetch(`http://127.0.0.1:${nginxPort}${PREFIX}/api/v1/logs?app=shop&lvl=error`, {
    headers: { authorization: `Bearer ${h.TOKENS.alice}`, 'x-smartlog-user': 'alice' },
  });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /unknown query parameter \\"lvl\\"/);
});
