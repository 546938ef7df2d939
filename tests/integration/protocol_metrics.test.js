// Metrics (docs/protocol.md `request_metrics`, 3.2 `metrics`, docs/protocol.md, "Metrics") and /healthz (README, "HTTP API").
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const { startServer } = require('../support/server');
const { Client, as, sendLogs, waitFor, TEST_TOML } = require('../support/client');

let server;
before(async () => {
  server = await startServer({ toml: TEST_TOML, args: ['--metrics-interval', '200ms'] });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
});

const close = (a, b, fraction) => Math.abs(a - b) <= fraction * Math.max(a, b);

function checkShape(p) {
  const numbers = {
    timestamp: p.timestamp,
    'cpu.usage': p.cpu?.usage, 'cpu.cores': p.cpu?.cores,
    'memory.used': p.memory?.used, 'memory.free': p.memory?.free, 'memory.total': p.memory?.total,
    'disk.used': p.disk?.used, 'disk.free': p.disk?.free, 'disk.total': p.disk?.total,
    'network.bytesReceived': p.network?.bytesReceived, 'network.bytesSent': p.network?.bytesSent,
    'network.connections': p.network?.connections,
    activeConnections: p.activeConnections, messageRate: p.messageRate, errorRate: p.errorRate,
  };
  for (const [name, v] of Object.entries(numbers)) {
    assert.equal(typeof v, 'number', `${name} is ${JSON.stringify(v)}`);
    assert.ok(Number.isFinite(v) && v >= 0, `${name} = ${v}`);
  }
  assert.ok(Math.abs(p.timestamp - Date.now()) < 5000, `timestamp ${p.timestamp} is ms since the epoch`);
  assert.ok(p.cpu.usage <= 100, `cpu.usage ${p.cpu.usage} is a percent`);
  assert.ok(Number.isInteger(p.cpu.cores) && p.cpu.cores >= 1 && p.cpu.cores <= os.cpus().length, `cores ${p.cpu.cores}`);
  assert.ok(close(p.memory.total, os.totalmem(), 0.01), `memory.total ${p.memory.total} vs ${os.totalmem()} bytes`);
  assert.equal(p.memory.used + p.memory.free, p.memory.total);
  const fsStat = fs.statfsSync(server.dir);
  assert.ok(close(p.disk.total, fsStat.blocks * fsStat.bsize, 0.01), `disk.total ${p.disk.total} bytes of the data_dir filesystem`);
  assert.ok(p.disk.used + p.disk.free <= p.disk.total);
  for (const k of ['memory', 'disk']) {
    for (const f of ['used', 'free', 'total']) assert.ok(Number.isInteger(p[k][f]), `${k}.${f} in whole bytes`);
  }
}

test('metrics are pushed every metrics_interval to viewers, with every seed field in its unit', async () => {
  const viewer = await as(server.wsUrl, 'alice', 'app1');
  const pushes = [];
  for (let i = 0; i < 4; i++) pushes.push(await viewer.next('metrics', 3000));
  for (const m of pushes) checkShape(m.payload);
  const gaps = pushes.slice(1).map((m, i) => m.payload.timestamp - pushes[i].payload.timestamp);
  for (const gap of gaps) assert.ok(gap >= 150 && gap < 2000, `pushes ${gaps} ms apart, interval 200 ms`);
  viewer.close();
});

test('request_metrics answers at once, and the network counters grow', async () => {
  const viewer = await as(server.wsUrl, 'alice', 'app1');
  const a = await viewer.request({ type: 'request_metrics' }, 'metrics');
  checkShape(a.payload);
  await sendLogs(viewer, Array.from({ length: 20 }, (_, i) => ({ message: `grow ${i} ${'g'.repeat(200)}` })));
  await viewer.entries(20);
  const b = await viewer.request({ type: 'request_metrics' }, 'metrics');
  assert.ok(b.payload.network.bytesReceived >= a.payload.network.bytesReceived + 20 * 200, 'bytesReceived counts what clients sent');
  assert.ok(b.payload.network.bytesSent >= a.payload.network.bytesSent + 20 * 200, 'bytesSent counts what clients were sent');
  assert.ok(b.payload.network.connections >= 1);
  viewer.close();
});

test('activeConnections counts the authenticated connections of the receiver\'s app', async () => {
  const a1 = await as(server.wsUrl, 'reader', 'app1');
  const a2 = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
  const b1 = await as(server.wsUrl, 'bob', 'app2');
  const anonymous = await Client.connect(server.wsUrl);
  // Connections of earlier tests may take a moment to be gone.
  const active = async (c) => (await c.request({ type: 'request_metrics' }, 'metrics')).payload.activeConnections;
  await waitFor(async () => (await active(a1)) === 2, { what: 'activeConnections 2 in app1' });
  await waitFor(async () => (await active(b1)) === 1, { what: 'activeConnections 1 in app2' });
  const net = (await b1.request({ type: 'request_metrics' }, 'metrics')).payload.network.connections;
  assert.ok(net >= 4, `network.connections ${net} counts every open connection`);
  a2.close();
  await a2.closed;
  await waitFor(async () => (await active(a1)) === 1, { what: 'activeConnections 1 once the producer left' });
  for (const c of [a1, b1, anonymous]) c.close();
});

test('messageRate and errorRate are entries per second of the receiver\'s app over the last interval', async () => {
  const viewer1 = await as(server.wsUrl, 'alice', 'app1');
  const viewer2 = await as(server.wsUrl, 'bob', 'app2');
  const producer = await as(server.wsUrl, 'writer', 'app1', { mode: 'producer' });
  // Skip one push so that counting starts clean.
  await viewer1.next('metrics', 3000);
  viewer1.take('metrics');
  const logs = [
    ...Array.from({ length: 40 }, (_, i) => ({ message: `rate ${i}`, level: 'info' })),
    ...Array.from({ length: 6 }, (_, i) => ({ message: `rate err ${i}`, level: 'error' })),
    ...Array.from({ length: 4 }, (_, i) => ({ message: `rate fatal ${i}`, level: 'FATAL' })),
  ];
  await sendLogs(producer, logs);
  const sent = Date.now();
  let busy;
  for (let i = 0; i < 10 && !busy; i++) {
    const m = await viewer1.next('metrics', 3000);
    if (m.payload.messageRate > 0) busy = m;
  }
  assert.ok(busy, 'a push after the ingest shows it');
  const { messageRate, errorRate } = busy.payload;
  // 50 entries over an interval of about 200 ms (longer on a busy machine).
  assert.ok(messageRate >= 20 && messageRate <= 400, `messageRate ${messageRate}/s`);
  assert.ok(close(errorRate / messageRate, 10 / 50, 0.001), `errorRate ${errorRate} vs messageRate ${messageRate}`);
  // app2 ingested nothing meanwhile. Its viewer may not have had a push yet on a busy machine.
  await viewer2.next('metrics', 3000);
  const m2 = viewer2.received.filter((m) => m.type === 'metrics');
  assert.ok(m2.length > 0);
  assert.ok(m2.every((m) => m.payload.messageRate === 0 && m.payload.errorRate === 0));
  // An interval later the rate falls back to 0.
  let idle;
  for (let i = 0; i < 10 && !idle; i++) {
    const m = await viewer1.next('metrics', 3000);
    if (m.payload.messageRate === 0) idle = m;
  }
  assert.ok(idle, 'the rate is of the last interval only');
  assert.ok(Date.now() - sent < 5000);
  for (const c of [viewer1, viewer2, producer]) c.close();
});

test('unauthenticated connections get no metrics pushes', async () => {
  const anonymous = await Client.connect(server.wsUrl);
  const viewer = await as(server.wsUrl, 'alice', 'app1');
  await viewer.next('metrics', 3000);
  await viewer.next('metrics', 3000);
  await anonymous.sync();
  assert.deepEqual(anonymous.take('metrics'), []);
  anonymous.close();
  viewer.close();
});

test('GET /healthz answers 200 ok on the same port', async () => {
  const res = await fetch(`${server.url}healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
});
