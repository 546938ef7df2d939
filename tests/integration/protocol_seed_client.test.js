// The seed's example client, `LoggerWebSocket` (seed/websocket-protocol.fr.md section 6),
// translated from TypeScript to JavaScript and otherwise kept as written, on Node's `ws`.
// A producer sends logs the way the original NehonixSmartLogger library does; the seed's
// client sees them live, their history, metrics, its filter and its clear.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { startServer } = require('../support/server');
const { connectAs, sendLogs, waitFor, TEST_TOML } = require('../support/client');

// ---- seed, section 6 (types removed; console output kept) ---------------------------------
class LoggerWebSocket {
  constructor(url) {
    this.ws = new WebSocket(url);
    this.messageHandlers = new Map();
    this.setupEventListeners();
  }

  setupEventListeners() {
    this.ws.onopen = () => {
      console.log("Connexion WebSocket établie");
    };

    this.ws.onmessage = (event) => {
      const response = JSON.parse(event.data);
      const handler = this.messageHandlers.get(response.type);
      if (handler) {
        handler(response.payload);
      }
    };

    this.ws.onerror = (error) => {
      console.error("Erreur WebSocket:", error);
    };

    this.ws.onclose = () => {
      console.log("Connexion WebSocket fermée");
    };
  }

  authenticate(userId, appId) {
    const authMessage = {
      type: "auth",
      data: { userId, appId },
    };
    this.ws.send(JSON.stringify(authMessage));
  }

  setFilters(filters) {
    const filterMessage = {
      type: "filter",
      filters,
    };
    this.ws.send(JSON.stringify(filterMessage));
  }

  onLogs(callback) {
    this.messageHandlers.set("logs", callback);
  }

  onMetrics(callback) {
    this.messageHandlers.set("metrics", callback);
  }

  requestHistory() {
    const historyMessage = {
      type: "request_history",
    };
    this.ws.send(JSON.stringify(historyMessage));
  }

  requestMetrics() {
    const metricsMessage = {
      type: "request_metrics",
    };
    this.ws.send(JSON.stringify(metricsMessage));
  }

  clearLogs() {
    const clearMessage = {
      type: "clear",
    };
    this.ws.send(JSON.stringify(clearMessage));
  }
}
// ---- end of seed ----------------------------------------------------------------------------

let server;
before(async () => {
  server = await startServer({ toml: TEST_TOML, args: ['--metrics-interval', '200ms'] });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
});

const SEED_FIELDS = ['id', 'timestamp', 'level', 'message', 'appId', 'userId'];

test("the seed's LoggerWebSocket sees a producer's logs, their history and metrics", async (t) => {
  t.mock.method(console, 'log', () => {});  // the seed's own console lines
  // The original NehonixSmartLogger library authenticates and sends `logs` with `data.logs`.
  const producer = await connectAs(server.wsUrl, 'user123', 'app456', { mode: 'producer' });
  const witness = await connectAs(server.wsUrl, 'user123', 'app456');
  // "L'historique est limité à 1000 entrées par application": the default history_limit.
  assert.equal(producer.authReply.payload.historyLimit, 1000);
  await sendLogs(producer, [
    { level: 'info', message: 'Server started', timestamp: Date.now() - 2000 },
    { level: 'warn', message: 'Slow request', timestamp: Date.now() - 1000, metadata: { ms: 900 } },
    { level: 'error', message: 'Payment failed', timestamp: Date.now(), metadata: { orderId: 42 } },
  ]);
  // Once a viewer has them live, they are history for whoever comes next.
  await witness.entries(3);
  witness.close();
  await witness.closed;

  // The seed's usage example, section 6.
  const logger = new LoggerWebSocket(server.wsUrl);
  const received = [];  // every payload of type "logs", in order
  const metrics = [];
  // The seed calls authenticate() right after the constructor; a WebSocket cannot send before
  // it is open (browsers and `ws` both throw), so this waits for the open event first.
  await new Promise((resolve, reject) => {
    logger.ws.addEventListener('open', resolve, { once: true });
    logger.ws.addEventListener('error', reject, { once: true });
  });
  logger.authenticate("user123", "app456");
  logger.onLogs((logs) => {
    received.push(logs);
  });
  logger.onMetrics((m) => {
    metrics.push(m);
  });
  logger.requestHistory();

  // History: the three entries, oldest first, each a LogEntry of the seed.
  await waitFor(() => received.length >= 1, { what: 'the history answer' });
  const historyPayload = received[0];
  assert.ok(Array.isArray(historyPayload));
  assert.deepEqual(historyPayload.map((e) => e.message), ['Server started', 'Slow request', 'Payment failed']);
  for (const e of historyPayload) {
    for (const f of SEED_FIELDS) assert.ok(f in e, `LogEntry.${f}`);
    assert.equal(typeof e.id, 'string');
    assert.equal(typeof e.timestamp, 'number');
    assert.equal(e.appId, 'app456');
    assert.equal(e.userId, 'user123');
  }
  assert.deepEqual(historyPayload[2].metadata, { orderId: 42 });

  // Live logs.
  await sendLogs(producer, [{ level: 'info', message: 'User signed in' }]);
  await waitFor(() => received.flat().some((e) => e.message === 'User signed in'), { what: 'a live entry' });

  // Metrics: pushed on the interval, and on request.
  await waitFor(() => metrics.length >= 2, { timeoutMs: 3000, what: 'metrics pushes' });
  const before = metrics.length;
  logger.requestMetrics();
  await waitFor(() => metrics.length > before, { what: 'the requested metrics' });
  const m = metrics.at(-1);
  for (const k of ['timestamp', 'activeConnections', 'messageRate', 'errorRate']) assert.equal(typeof m[k], 'number', k);
  for (const [k, fields] of Object.entries({ cpu: ['usage', 'cores'], memory: ['used', 'free', 'total'], disk: ['used', 'free', 'total'], network: ['bytesReceived', 'bytesSent', 'connections'] })) {
    for (const f of fields) assert.equal(typeof m[k][f], 'number', `${k}.${f}`);
  }
  // The seed client and the producer (the witness has gone; the server may take a moment).
  await waitFor(() => metrics.at(-1).activeConnections === 2, { timeoutMs: 3000, what: 'activeConnections 2' });

  // The seed's filter: errors and warnings of the last hour.
  logger.setFilters({
    level: ["error", "warn"],
    startTime: Date.now() - 3600000,
  });
  const count = received.flat().length;
  await sendLogs(producer, [
    { level: 'debug', message: 'Cache miss' },
    { level: 'error', message: 'Database timeout' },
    { level: 'warning', message: 'Disk at 90%' },
  ]);
  await waitFor(() => received.flat().length >= count + 2, { what: 'the filtered entries' });
  assert.deepEqual(received.flat().slice(count).map((e) => [e.level, e.message]),
    [['error', 'Database timeout'], ['warn', 'Disk at 90%']]);

  // Clear, then the history is empty.
  logger.clearLogs();
  logger.requestHistory();
  const n = received.length;
  await waitFor(() => received.length > n, { what: 'the history after clear' });
  assert.deepEqual(received.at(-1), []);

  logger.ws.close();
  producer.close();
});
