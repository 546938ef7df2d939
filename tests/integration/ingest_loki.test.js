// The Loki push API (docs/ingest.md "Loki") with real shippers: winston-loki (JSON, and its
// default snappy-compressed protobuf) and pino-loki, each checked by a WebSocket viewer field by
// field; then Basic auth, the app never taken from labels, and bad input.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const winston = require('winston');
const LokiTransport = require('winston-loki');
const pino = require('pino');
const pinoLoki = require('pino-loki').default;  // a CommonJS build with the function as `default`
const { startServer } = require('../support/server');
const { metricValue } = require('../support/metrics');
const { as, TEST_TOML } = require('../support/client');

let server;
before(async () => {
  server = await startServer({ toml: TEST_TOML, args: ['--batch-max-delay', '5ms', '--max-message-bytes', '4KiB'] });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
});

const metric = (name, labels) => metricValue(server.url, name, labels);

const host = () => server.url.replace(/\/$/, '');

for (const json of [true, false]) {
  const format = json ? 'json' : 'protobuf';
  test(`winston-loki (${format}): level, message, timestamp and labels reach a viewer`, async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    const before = await metric('smartlog_ingest_entries_total', `protocol="loki",format="${format}"`);
    const errors = [];
    const transport = new LokiTransport({
      host: host(), json, batching: false, basicAuth: 'alice:alice-token',
      headers: { 'X-Scope-OrgID': 'app1' }, labels: { job: 'winston', app: 'not-this-one' },
      onConnectionError: (e) => errors.push(e),
    });
    const logger = winston.createLogger({ level: 'debug', transports: [transport] });
    const t0 = Date.now();
    logger.warn({ message: `disk almost full ${format}`, labels: { region: 'eu' } });
    logger.error(`failed ${format}`);
    const entries = await viewer.entries(2, 5000);
    assert.deepEqual(errors, []);
    const [w, e] = entries;
    assert.equal(w.level, 'warn');
    assert.match(w.message, new RegExp(`disk almost full ${format}`));
    assert.ok(w.timestamp >= t0 - 1 && w.timestamp <= Date.now(), `timestamp ${w.timestamp}`);
    assert.equal(w.appId, 'app1');  // the "app" label changes nothing
    assert.equal(w.userId, 'alice');
    assert.equal(w.metadata.labels.job, 'winston');
    assert.equal(w.metadata.labels.region, 'eu');
    assert.equal(w.metadata.labels.app, 'not-this-one');
    assert.equal(e.level, 'error');
    assert.match(e.message, new RegExp(`failed ${format}`));
    assert.equal(await metric('smartlog_ingest_entries_total', `protocol="loki",format="${format}"`), before + 2);
    await new Promise((resolve) => transport.flush().then(resolve, resolve));
    viewer.close();
  });
}

test('pino-loki: level from its label, the pino line as the message', async () => {
  const viewer = await as(server.wsUrl, 'alice', 'app2');
  const stream = pinoLoki({
    host: host(), batching: false, basicAuth: { username: 'alice', password: 'alice-token' },
    headers: { 'X-Scope-OrgID': 'app2' }, labels: { job: 'pino' },
  });
  const logger = pino({ level: 'debug' }, stream);
  const t0 = Date.now();
  logger.warn({ orderId: 17 }, 'payment slow');
  logger.fatal('payment down');
  const [w, f] = await viewer.entries(2, 5000);
  assert.equal(w.level, 'warn');
  const line = JSON.parse(w.message);
  assert.equal(line.msg, 'payment slow');
  assert.equal(line.orderId, 17);
  assert.equal(w.timestamp, line.time);
  assert.ok(w.timestamp >= t0 - 1);
  assert.equal(w.metadata.labels.job, 'pino');
  assert.equal(w.appId, 'app2');
  assert.equal(f.level, 'fatal');  // pino-loki says "critical"
  stream.end();
  viewer.close();
});

async function push(body, { user = 'alice', token = 'alice-token', app = 'app1', type = 'application/json', encoding, headers = {} } = {}) {
  const h = { 'Content-Type': type, ...headers };
  if (user !== null) h.Authorization = `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
  if (app !== null) h['X-Scope-OrgID'] = app;
  if (encoding) h['Content-Encoding'] = encoding;
  return fetch(`${server.url}loki/api/v1/push`, { method: 'POST', headers: h, body });
}

test('JSON with structured metadata and gzip; 204; level from detected_level', async () => {
  const viewer = await as(server.wsUrl, 'alice', 'app1');
  const body = JSON.stringify({ streams: [{ stream: { job: 'raw', detected_level: 'ERROR' },
    values: [['1700000000123456789', 'first', { trace_id: 'abc' }], ['1700000000200000000', 'second']] }] });
  const res = await push(zlib.gzipSync(body), { encoding: 'gzip' });
  assert.equal(res.status, 204);
  const [a, b] = await viewer.entries(2);
  assert.equal(a.message, 'first');
  assert.equal(a.level, 'error');
  assert.equal(a.timestamp, 1700000000123);
  assert.deepEqual(a.metadata, { labels: { job: 'raw', detected_level: 'ERROR' }, structuredMetadata: { trace_id: 'abc' } });
  assert.equal(b.timestamp, 1700000000200);
  viewer.close();
});

test('auth: wrong token 401, no write 403, no app 400; oversized lines 400 with the rest stored', async () => {
  const ok = JSON.stringify({ streams: [] });
  assert.equal((await push(ok, { token: 'nope' })).status, 401);
  const anonymous = await push(ok, { user: null });
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate'), /^Basic/);
  assert.equal((await push(ok, { user: 'reader', token: 'reader-token' })).status, 403);
  assert.equal((await push(ok, { app: null })).status, 400);
  assert.equal((await push(ok, { app: null, headers: { 'X-Smartlog-App': 'app1' } })).status, 204);

  const viewer = await as(server.wsUrl, 'alice', 'app1');
  const res = await push(JSON.stringify({ streams: [{ stream: {}, values: [['1', 'x'.repeat(5000)], ['2', 'kept']] }] }));
  assert.equal(res.status, 400);
  assert.match((await res.json()).error.message, /1 entries stored, 1 rejected/);
  assert.equal((await viewer.entries(1))[0].message, 'kept');
  viewer.close();
});

test('malformed bodies are 400 and store nothing', async () => {
  for (const bad of ['{', '{"streams":{}}', '{"streams":[{"values":[["x","y"]]}]}', '{"streams":[{"stream":{"a":1},"values":[]}]}']) {
    assert.equal((await push(bad)).status, 400, bad);
  }
  assert.equal((await push(Buffer.from('not snappy at all'), { type: 'application/x-protobuf' })).status, 400);
});
