// OTLP/HTTP logs (docs/ingest.md "OTLP") with the real OpenTelemetry JS SDK: the HTTP/JSON
// exporter (plain and gzip) and the protobuf exporter, each checked field by field by a
// WebSocket viewer; then the answers to bad input: partialSuccess for oversized records (sent
// once, never retried), 401, 403, 400, 415.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { SeverityNumber } = require('@opentelemetry/api-logs');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPLogExporter: JsonExporter } = require('@opentelemetry/exporter-logs-otlp-http');
const { OTLPLogExporter: ProtoExporter } = require('@opentelemetry/exporter-logs-otlp-proto');
const { startServer } = require('../support/server');
const { metricValue } = require('../support/metrics');
const { as, TEST_TOML } = require('../support/client');

let server;
before(async () => {
  server = await startServer({
    toml: TEST_TOML,
    args: ['--batch-max-delay', '5ms', '--max-message-bytes', '4KiB', '--max-inflated-bytes', '256KiB'],
  });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
});

const authHeaders = (user = 'alice', app = 'app1') => ({
  Authorization: `Bearer ${user}-token`, 'X-Smartlog-User': user, 'X-Smartlog-App': app,
});

const metric = (name, labels) => metricValue(server.url, name, labels);

// Emits through a real SDK pipeline; forceFlush exports the batch and waits for the answer.
async function emitWith(exporter, records) {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'deployment.environment': 'test' }),
    processors: [new BatchLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('checkout.http', '1.2.3');
  for (const r of records) logger.emit(r);
  await provider.forceFlush();
  await provider.shutdown();
}

const records = (tag) => [
  {
    timestamp: 1700000000123, severityNumber: SeverityNumber.WARN, severityText: 'WARN',
    body: `disk almost full ${tag}`, attributes: { 'disk.free': 42, path: '/var', ok: false },
  },
  {
    timestamp: 1700000000456, severityNumber: SeverityNumber.ERROR2, body: { msg: `structured ${tag}`, code: 7 },
  },
  { timestamp: 1700000000789, severityText: 'critical', body: `by text ${tag}` },
  { timestamp: 1700000000999, body: `plain ${tag}` },
];

function checkEntries(entries, tag) {
  assert.equal(entries.length, 4);
  const [a, b, c, d] = entries;
  assert.equal(a.level, 'warn');
  assert.equal(a.message, `disk almost full ${tag}`);
  assert.equal(a.timestamp, 1700000000123);
  assert.equal(a.appId, 'app1');
  assert.equal(a.userId, 'alice');
  assert.deepEqual(a.metadata.attributes, { 'disk.free': 42, path: '/var', ok: false });
  assert.equal(a.metadata.resource['service.name'], 'checkout');
  assert.equal(a.metadata.resource['deployment.environment'], 'test');
  assert.deepEqual(a.metadata.scope, { name: 'checkout.http', version: '1.2.3' });
  assert.equal(a.metadata.severityText, 'WARN');
  assert.equal(a.metadata.severityNumber, 13);

  assert.equal(b.level, 'error');
  assert.equal(b.message, `structured ${tag}`);
  assert.equal(b.timestamp, 1700000000456);
  assert.deepEqual(b.metadata.body, { msg: `structured ${tag}`, code: 7 });

  assert.equal(c.level, 'fatal');  // no number: the text, through the aliases
  assert.equal(c.message, `by text ${tag}`);
  assert.equal(c.timestamp, 1700000000789);

  assert.equal(d.level, 'info');
  assert.equal(d.timestamp, 1700000000999);
}

for (const [name, make, format] of [
  ['HTTP/JSON exporter', (url) => new JsonExporter({ url, headers: authHeaders() }), 'json'],
  ['HTTP/JSON exporter with gzip', (url) => new JsonExporter({ url, headers: authHeaders(), compression: 'gzip' }), 'json'],
  ['protobuf exporter', (url) => new ProtoExporter({ url, headers: authHeaders() }), 'protobuf'],
  ['protobuf exporter with gzip on /otlp/v1/logs', (url) => new ProtoExporter({ url, headers: authHeaders(), compression: 'gzip' }), 'protobuf'],
]) {
  test(`the OpenTelemetry JS SDK's ${name}: every field reaches a viewer`, async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    const before = await metric('smartlog_ingest_entries_total', `protocol="otlp",format="${format}"`);
    const path = name.includes('/otlp/') ? 'otlp/v1/logs' : 'v1/logs';
    const tag = name.replace(/\W+/g, '-');
    await emitWith(make(`${server.url}${path}`), records(tag));
    checkEntries(await viewer.entries(4), tag);
    assert.equal(await metric('smartlog_ingest_entries_total', `protocol="otlp",format="${format}"`), before + 4);
    viewer.close();
  });
}

test('trace context and event name land in metadata', async () => {
  const viewer = await as(server.wsUrl, 'alice', 'app1');
  const body = {
    resourceLogs: [{
      scopeLogs: [{
        logRecords: [{
          timeUnixNano: 1700000000123456789, observedTimeUnixNano: '1700000000999000000',
          severityNumber: 'SEVERITY_NUMBER_DEBUG2', body: { intValue: '12' },
          traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', flags: 1,
          eventName: 'app.started',
          attributes: [{ key: 'big', value: { intValue: '9007199254740993' } }, { key: 'b', value: { bytesValue: 'AAE=' } }],
        }, {
          observedTimeUnixNano: '1700000000999000000', body: { stringValue: 'observed only' },
        }],
      }],
    }],
  };
  const res = await fetch(`${server.url}v1/logs`, {
    method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.deepEqual(await res.json(), {});
  const [e, f] = await viewer.entries(2);
  assert.equal(e.level, 'debug');
  assert.equal(e.message, '12');
  assert.equal(e.timestamp, 1700000000123);
  assert.equal(e.metadata.traceId, '5b8efff798038103d269b633813fc60c');
  assert.equal(e.metadata.spanId, 'eee19b7ec3c1b174');
  assert.equal(e.metadata.traceFlags, 1);
  assert.equal(e.metadata.eventName, 'app.started');
  assert.equal(e.metadata.attributes.b, 'AAE=');
  assert.equal(f.timestamp, 1700000000999);
  assert.equal(f.message, 'observed only');
  viewer.close();
});

test('oversized records come back as partialSuccess, the rest are stored, and the SDK does not retry', async () => {
  const viewer = await as(server.wsUrl, 'alice', 'app1');
  // The raw answer first.
  const body = {
    resourceLogs: [{ scopeLogs: [{ logRecords: [
      { body: { stringValue: 'x'.repeat(5000) } },
      { body: { stringValue: 'small one' } },
    ] }] }],
  };
  const res = await fetch(`${server.url}v1/logs`, {
    method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  const answer = await res.json();
  assert.equal(answer.partialSuccess.rejectedLogRecords, '1');
  assert.match(answer.partialSuccess.errorMessage, /max_message_bytes/);
  assert.equal((await viewer.entries(1))[0].message, 'small one');

  // Then through the SDK: one request, no retry.
  const requests = await metric('smartlog_ingest_requests_total', 'protocol="otlp",format="protobuf"');
  const rejected = await metric('smartlog_ingest_rejected_total', 'protocol="otlp",format="protobuf"');
  const provider = new LoggerProvider({
    processors: [new BatchLogRecordProcessor({ exporter: new ProtoExporter({ url: `${server.url}v1/logs`, headers: authHeaders() }) })],
  });
  provider.getLogger('big').emit({ body: 'y'.repeat(5000) });
  await provider.forceFlush();
  await provider.shutdown();
  assert.equal(await metric('smartlog_ingest_requests_total', 'protocol="otlp",format="protobuf"'), requests + 1);
  assert.equal(await metric('smartlog_ingest_rejected_total', 'protocol="otlp",format="protobuf"'), rejected + 1);
  viewer.close();
});

async function post(body, { type = 'application/json', headers = authHeaders(), encoding } = {}) {
  const h = { ...headers, 'Content-Type': type };
  if (encoding) h['Content-Encoding'] = encoding;
  return fetch(`${server.url}v1/logs`, { method: 'POST', headers: h, body });
}

test('a wrong token is 401, an app without write 403, in the OTLP error shape', async () => {
  const ok = JSON.stringify({ resourceLogs: [] });
  let res = await post(ok, { headers: { ...authHeaders(), Authorization: 'Bearer nope' } });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).code, 16);
  res = await post(ok, { headers: authHeaders('reader', 'app1') });
  assert.equal(res.status, 403);
  const status = await res.json();
  assert.equal(status.code, 7);
  assert.match(status.message, /write/);
  res = await post(ok, { headers: authHeaders('bob', 'app1') });
  assert.equal(res.status, 403);
});

test('malformed input is 400 and stores nothing; unknown types 415; bombs 413', async () => {
  const viewer = await as(server.wsUrl, 'alice', 'app1');
  for (const bad of ['{', '[]', '{"resourceLogs":{}}', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"xyz"}]}]}]}']) {
    const res = await post(bad);
    assert.equal(res.status, 400, bad);
    assert.equal((await res.json()).code, 3);
  }
  let res = await post(Buffer.from([0x0a, 0xff, 0xff]), { type: 'application/x-protobuf' });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
  res = await post('x', { type: 'text/xml' });
  assert.equal(res.status, 415);
  res = await post(Buffer.from('not gzip'), { encoding: 'gzip' });
  assert.equal(res.status, 400);
  res = await post(zlib.gzipSync(Buffer.alloc(1 << 20, 0x20)), { encoding: 'gzip' });
  assert.equal(res.status, 413);
  res = await post('{}', { encoding: 'br' });
  assert.equal(res.status, 415);
  // Nothing of the above reached the viewer.
  res = await post(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'marker' } }] }] }] }));
  assert.equal(res.status, 200);
  const [marker] = await viewer.entries(1);
  assert.equal(marker.message, 'marker');
  viewer.close();
});
