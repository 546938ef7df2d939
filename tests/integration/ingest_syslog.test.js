// Syslog listeners (docs/ingest.md "Syslog") with real senders: util-linux `logger` (TCP with
// octet counting and RFC 5424, TCP newline-framed RFC 3164, UDP) and Debian's rsyslog started
// for the test (omfwd octet-counted RFC 5424, its newline forward format, and UDP), each checked
// by a WebSocket viewer field by field. Loopback only.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { startServer } = require('../support/server');
const { connectAs, sha256hex, waitFor } = require('../support/client');

const APPS = ['lg5424', 'lg3164', 'lgudp', 'rs5424', 'rsfwd', 'rsudp'];
const TOML = `
${APPS.map((a) => `[[apps]]\nid = "${a}"\n`).join('\n')}
[[users]]
id = "shipper"
token_sha256 = "${sha256hex('shipper-token')}"
apps = { ${APPS.map((a) => `${a} = ["read", "write"]`).join(', ')} }

[[syslog]]
listen = "127.0.0.1:0"
app = "lg5424"
user = "shipper"

[[syslog]]
listen = "127.0.0.1:0"
protocol = "tcp"
app = "lg3164"
user = "shipper"

[[syslog]]
listen = "127.0.0.1:0"
protocol = "udp"
app = "lgudp"
user = "shipper"

[[syslog]]
listen = "127.0.0.1:0"
app = "rs5424"
user = "shipper"

[[syslog]]
listen = "127.0.0.1:0"
app = "rsfwd"
user = "shipper"

[[syslog]]
listen = "127.0.0.1:0"
protocol = "udp"
app = "rsudp"
user = "shipper"
`;

let server;
const ports = {};
let rsyslog;
let rsyslogPort;
let rsyslogDir;

async function freeUdpPort() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

before(async () => {
  server = await startServer({ toml: TOML, args: ['--batch-max-delay', '5ms'] });
  await waitFor(() => (server.output().match(/syslog \((tcp|udp)\) listening on/g) || []).length === APPS.length,
    { what: 'the syslog listeners' });
  for (const m of server.output().matchAll(/syslog \((tcp|udp)\) listening on 127\.0\.0\.1:(\d+) for app "(\w+)"/g)) {
    ports[m[3]] = Number(m[2]);
  }
  rsyslogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smartlog-rsyslog-'));
  rsyslogPort = await freeUdpPort();
  const conf = path.join(rsyslogDir, 'rsyslog.conf');
  fs.writeFileSync(conf, `
global(workDirectory="${rsyslogDir}")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="${rsyslogPort}")
action(type="omfwd" target="127.0.0.1" port="${ports.rs5424}" protocol="tcp"
       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
action(type="omfwd" target="127.0.0.1" port="${ports.rsfwd}" protocol="tcp" template="RSYSLOG_ForwardFormat")
action(type="omfwd" target="127.0.0.1" port="${ports.rsudp}" protocol="udp" template="RSYSLOG_ForwardFormat")
`);
  rsyslog = spawn('/usr/sbin/rsyslogd', ['-n', '-f', conf, '-i', path.join(rsyslogDir, 'rsyslogd.pid')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  rsyslog.output = '';
  rsyslog.stdout.on('data', (c) => { rsyslog.output += c; });
  rsyslog.stderr.on('data', (c) => { rsyslog.output += c; });
});

after(async () => {
  if (rsyslog && rsyslog.exitCode === null) {
    const exited = new Promise((r) => rsyslog.on('exit', r));
    rsyslog.kill('SIGTERM');
    await exited;
  }
  if (rsyslogDir) fs.rmSync(rsyslogDir, { recursive: true, force: true });
  const { code } = await server.stop();
  assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
});

const viewer = (app) => connectAs(server.wsUrl, 'shipper', app, { token: 'shipper-token' });
const logger = (args) => execFileSync('/usr/bin/logger', args, { timeout: 10000 });

test('logger --tcp --octet-count --rfc5424: every field', async () => {
  const v = await viewer('lg5424');
  const t0 = Date.now();
  logger(['--tcp', '--octet-count', '--rfc5424', '--server', '127.0.0.1', '--port', String(ports.lg5424),
    '-t', 'billing', '-p', 'local3.err', '--msgid', 'PAY', '--sd-id', 'order@32473', '--sd-param', 'id="17"',
    'payment failed for order 17']);
  const [e] = await v.entries(1, 5000);
  assert.equal(e.level, 'error');
  assert.equal(e.message, 'payment failed for order 17');
  assert.ok(e.timestamp >= t0 - 1000 && e.timestamp <= Date.now(), `timestamp ${e.timestamp}`);
  assert.equal(e.metadata.appName, 'billing');
  assert.equal(e.metadata.msgid, 'PAY');
  assert.equal(e.metadata.facility, 'local3');
  assert.equal(e.metadata.hostname, os.hostname());
  assert.equal(e.metadata.format, 'rfc5424');
  assert.deepEqual(e.metadata.structuredData['order@32473'], { id: '17' });
  assert.equal(e.userId, 'shipper');
  v.close();
});

test('logger --tcp --rfc3164 (newline framing) and --udp', async () => {
  for (const [app, transport] of [['lg3164', '--tcp'], ['lgudp', '--udp']]) {
    const v = await viewer(app);
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    logger([transport, '--rfc3164', '--server', '127.0.0.1', '--port', String(ports[app]), '-t', 'cron',
      '-p', 'daemon.warning', '-i', `nightly job ${app}`]);
    const [e] = await v.entries(1, 5000);
    assert.equal(e.level, 'warn');
    assert.equal(e.message, `nightly job ${app}`);
    assert.ok(e.timestamp >= t0 - 1000 && e.timestamp <= Date.now(), `timestamp ${e.timestamp}`);
    assert.equal(e.metadata.appName, 'cron');
    assert.match(e.metadata.procid, /^\d+$/);
    assert.equal(e.metadata.facility, 'daemon');
    assert.equal(e.metadata.format, 'rfc3164');
    v.close();
  }
});

test('a line that is not syslog is kept as an info message and counted', async () => {
  const v = await viewer('lg3164');
  const socket = net.connect(ports.lg3164, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.end('just some text\n<13>1 2024-05-01T12:00:00.5Z h a - - - fine\n');
  const [a, b] = await v.entries(2, 5000);
  assert.equal(a.level, 'info');
  assert.equal(a.message, 'just some text');
  assert.equal(a.metadata.format, 'malformed');
  assert.equal(b.message, 'fine');
  assert.equal(b.timestamp, Date.UTC(2024, 4, 1, 12, 0, 0, 500));
  const metrics = await (await fetch(`${server.url}metrics`)).text();
  assert.match(metrics, /smartlog_ingest_malformed_total\{protocol="syslog",format="tcp"\} [1-9]/);
  v.close();
});

test('rsyslog: omfwd octet-counted RFC 5424, the newline forward format, and UDP', async () => {
  const viewers = { rs5424: await viewer('rs5424'), rsfwd: await viewer('rsfwd'), rsudp: await viewer('rsudp') };
  const send = (text, prio = 'user.notice') =>
    logger(['--udp', '--rfc5424', '--server', '127.0.0.1', '--port', String(rsyslogPort), '-t', 'shop', '-p', prio, text]);
  // rsyslog starts in the background: probe until the first message comes through.
  await waitFor(async () => {
    send('probe');
    try {
      await viewers.rs5424.next((m) => m.type === 'logs' && !m.history, 200);
      return true;
    } catch {
      return false;
    }
  }, { timeoutMs: 15000, what: `rsyslog to forward a probe\n${rsyslog.output}` });
  // Drop the probes every viewer may have got.
  await Promise.all(Object.values(viewers).map((v) => v.sync()));
  for (const v of Object.values(viewers)) v.take();
  const t0 = Date.now();
  send('stock low on item 42', 'local0.warning');
  for (const [app, format] of [['rs5424', 'rfc5424'], ['rsfwd', 'rfc3164'], ['rsudp', 'rfc3164']]) {
    const e = await waitFor(async () => {
      const [x] = await viewers[app].entries(1, 5000);
      return x.message === 'probe' ? null : x;
    }, { timeoutMs: 10000, what: `the entry on ${app}` });
    assert.equal(e.level, 'warn', app);
    assert.equal(e.message, 'stock low on item 42', app);
    assert.ok(e.timestamp >= t0 - 1000 && e.timestamp <= Date.now(), `${app} timestamp ${e.timestamp}`);
    assert.equal(e.metadata.appName, 'shop', app);
    assert.equal(e.metadata.facility, 'local0', app);
    assert.equal(e.metadata.format, format, app);
    viewers[app].close();
  }
});
