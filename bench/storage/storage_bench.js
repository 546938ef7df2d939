// bench/storage/storage_bench.js: figures for the storage and HTTP API issue, against a running
// smartlogd in open mode (loopback only). Node 20, `ws` from tests/node_modules.
//
//   node bench/storage/storage_bench.js http-ingest  URL [seconds] [batch] [concurrency] [apps]
//   node bench/storage/storage_bench.js ws-ingest    URL [seconds] [batch] [in-flight]
//   node bench/storage/storage_bench.js fill         URL apps perApp [batch]
//   node bench/storage/storage_bench.js query        URL app q [runs]
//
// Prints one line of JSON per run.
'use strict';
const path = require('node:path');
const WebSocket = require(path.resolve(__dirname, '../../tests/node_modules/ws'));

const words = ['payment', 'order', 'user', 'login', 'timeout', 'cache', 'disk', 'retry', 'queue', 'worker',
  'shipped', 'invoice', 'session', 'token', 'database', 'request', 'latency', 'upstream', 'refund', 'cart'];
let counter = 0;
function entry() {
  const n = counter++;
  const w = (k) => words[(n * 7 + k * 13) % words.length];
  return { level: n % 50 === 0 ? 'error' : 'info', message: `${w(1)} ${w(2)} ${w(3)} id=${n} took ${n % 997} ms`, metadata: { n } };
}
const batchOf = (size) => Array.from({ length: size }, entry);

async function httpIngest(url, seconds = 5, batch = 500, concurrency = 4, apps = 1) {
  const bodies = Array.from({ length: 16 }, () => JSON.stringify(batchOf(batch)));
  let accepted = 0;
  let requests = 0;
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, worker) => {
    let i = worker;
    while (Date.now() < deadline) {
      const res = await fetch(`${url}/api/v1/logs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Smartlog-App': `bench${i % apps}` },
        body: bodies[i % bodies.length],
      });
      const body = await res.json();
      if (res.status === 200) accepted += body.accepted;
      else if (res.status !== 429) throw new Error(JSON.stringify(body));
      requests++;
      i += concurrency;
    }
  }));
  const elapsed = (Date.now() - started) / 1000;
  return { mode: 'http-ingest', accepted, requests, seconds: elapsed, entriesPerSecond: Math.round(accepted / elapsed) };
}

async function wsIngest(url, seconds = 5, batch = 500, inFlight = 8) {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/');
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const frames = Array.from({ length: 16 }, () => JSON.stringify({ type: 'logs', data: { logs: batchOf(batch) } }));
  ws.send(JSON.stringify({ type: 'auth', data: { userId: 'bench', appId: 'benchws', mode: 'producer' } }));
  let accepted = 0;
  let pending = 0;
  let sent = 0;
  const started = Date.now();
  const deadline = started + seconds * 1000;
  await new Promise((resolve) => {
    const pump = () => {
      while (pending < inFlight && Date.now() < deadline) {
        ws.send(frames[sent++ % frames.length]);
        pending++;
      }
      if (pending === 0) resolve();
    };
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'auth_success') return pump();
      if (msg.type !== 'logs_ack') return;
      accepted += msg.payload.accepted;
      pending--;
      pump();
    });
  });
  const elapsed = (Date.now() - started) / 1000;
  ws.close();
  return { mode: 'ws-ingest', accepted, seconds: elapsed, entriesPerSecond: Math.round(accepted / elapsed) };
}

async function fill(url, apps, perApp, batch = 1000) {
  const started = Date.now();
  let total = 0;
  const jobs = [];
  for (let a = 0; a < apps; a++) for (let k = 0; k < perApp; k += batch) jobs.push([a, Math.min(batch, perApp - k)]);
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < jobs.length) {
      const [a, n] = jobs[next++];
      for (;;) {
        const res = await fetch(`${url}/api/v1/logs`, {
          method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Smartlog-App': `app${a}` }, body: JSON.stringify(batchOf(n)),
        });
        const body = await res.json();
        if (res.status === 429) { await new Promise((r) => setTimeout(r, 100)); continue; }
        if (res.status !== 200) throw new Error(JSON.stringify(body));
        total += body.accepted;
        break;
      }
    }
  }));
  return { mode: 'fill', apps, perApp, total, seconds: (Date.now() - started) / 1000 };
}

async function query(url, app, q, runs = 20) {
  const times = [];
  let count = 0;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const res = await fetch(`${url}/api/v1/logs?app=${encodeURIComponent(app)}&q=${encodeURIComponent(q)}&limit=100`);
    const body = await res.json();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    count = body.logs.length;
  }
  times.sort((a, b) => a - b);
  return { mode: 'query', app, q, returned: count, p50ms: times[Math.floor(runs / 2)], maxms: times[runs - 1] };
}

(async () => {
  const [cmd, url, ...rest] = process.argv.slice(2);
  const nums = rest.map((x) => (isNaN(Number(x)) ? x : Number(x)));
  const fns = { 'http-ingest': httpIngest, 'ws-ingest': wsIngest, fill, query };
  if (!fns[cmd] || !url) {
    console.error('usage: see the head of this file');
    process.exit(2);
  }
  console.log(JSON.stringify(await fns[cmd](url, ...nums)));
})().catch((e) => { console.error(e); process.exit(1); });
