// The connection and rate limits under load (docs/protocol.md, "Limits"): 1,100 connections
// against max_connections, 1,000 slowloris sockets, a noisy app against its rate limit, 10,000
// idle connections, 100 stalled viewers.
'use strict';
const net = require('node:net');
const {
  SOURCES, sleep, mib, withTimeout, percentile, procStatus, startServer, startRole, openAuthed, ping,
  openMany, closeAll, metricsText, metricValue,
} = require('../lib');


// 1,100 connections against max_connections 1000: exactly 100 refused, the rest still served.
async function phaseConnections(t) {
  // All 1,100 open at once, before any authenticates: max_unauthenticated_connections (256 by
  // default, held by row 8) would reset the oldest, so it is raised and max_connections alone
  // decides.
  const server = await startServer({
    args: ['--durability', 'memory', '--max-connections', '1000', '--max-unauthenticated-connections', '2000'],
  });
  try {
    const started = Date.now();
    // All at once: which ones are refused depends on arrival order, how many does not.
    const conns = await withTimeout(Promise.all(Array.from({ length: 1100 }, (_, i) => openAuthed(server.wsUrl, {
      userId: `u${i}`, appId: `app${i % 10}`, localAddress: SOURCES[i % SOURCES.length],
    }))), 60000, 'opening 1,100 connections');
    const ok = conns.filter((c) => c.status === 'ok');
    const refused = conns.filter((c) => c.status === 503);
    const other = conns.filter((c) => c.status !== 'ok' && c.status !== 503);
    t.record('connections opened', `${conns.length} in ${Date.now() - started} ms`);
    t.record('authenticated', ok.length, ok.length === 1000);
    t.record('refused with 503', refused.length, refused.length === 100);
    t.record('other outcomes', other.length ? [...new Set(other.map((c) => c.status))].join(', ') : 0,
      other.length === 0);
    const pongs = await Promise.all(ok.map((c) => ping(c.ws)));
    const answered = pongs.filter(Boolean).length;
    t.record('accepted connections answering ping afterwards', `${answered}/${ok.length}`, answered === ok.length);
    // One more leaves room: the listener still accepts.
    ok[0].ws.terminate();
    let later;
    let refusedLater = 0;  // tried before the server had seen the close
    for (let i = 0; i < 50; ++i) {
      later = await openAuthed(server.wsUrl, { userId: 'late', appId: 'app0' });
      if (later.status === 'ok') break;
      if (later.status === 503) ++refusedLater;
      await sleep(20);
    }
    t.record('a connection after one closed', later.status, later.status === 'ok');
    closeAll(conns);
    later.ws.terminate();
    await sleep(300);
    const text = await metricsText(server);
    t.record(`smartlog_connections_refused_total (100 + ${refusedLater} retried early)`,
      metricValue(text, 'smartlog_connections_refused_total'),
      metricValue(text, 'smartlog_connections_refused_total') === 100 + refusedLater);
    t.record('server RSS', mib(procStatus(server.proc.pid).rss));
    t.headline(`${ok.length} authenticated, ${refused.length} refused 503, ${other.length} other`);
  } finally {
    await server.stop();
  }
}

// 1,000 sockets dripping their headers are closed by header_timeout while normal clients connect.
async function phaseSlowloris(t) {
  // max_unauthenticated_connections (256 by default) would close the oldest slow sockets as
  // soon as they are too many (row 8 holds that cap): raised here, so that what this phase
  // measures is header_timeout.
  const server = await startServer({
    args: ['--durability', 'memory', '--max-connections', '2000', '--max-unauthenticated-connections', '2000'],
  });
  const sockets = [];
  const timers = [];
  try {
    const closeTimes = [];
    const opened = Date.now();
    await Promise.all(Array.from({ length: 1000 }, (_, i) => new Promise((resolve) => {
      // From before the connection exists: the server's deadline starts later, at its accept.
      const t0 = Date.now();
      const s = net.connect({ host: '127.0.0.1', port: server.port, localAddress: SOURCES[i % SOURCES.length] }, () => {
        s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        const drip = setInterval(() => { if (!s.destroyed) s.write('X-Slow: 1\r\n'); }, 500);
        timers.push(drip);
        s.on('close', () => { clearInterval(drip); closeTimes.push(Date.now() - t0); });
        resolve();
      });
      s.on('error', () => {});
      sockets.push(s);
    })));
    t.record('slow sockets open', `1000 in ${Date.now() - opened} ms`);
    // Normal clients, while the slow ones hold their slots.
    const latencies = [];
    let served = 0;
    for (let i = 0; i < 100; ++i) {
      const t = Date.now();
      const c = await openAuthed(server.wsUrl, { userId: `n${i}`, appId: 'normal' });
      if (c.status === 'ok' && await ping(c.ws)) {
        ++served;
        latencies.push(Date.now() - t);
      }
      c.ws.terminate();
      await sleep(20);
    }
    latencies.sort((a, b) => a - b);
    t.record('normal clients served meanwhile (connect+auth+ping)', `${served}/100`, served === 100);
    t.record('their latency p50 / max', `${percentile(latencies, 50)} ms / ${latencies.at(-1)} ms`);
    const deadline = Date.now() + 15000;
    while (closeTimes.length < 1000 && Date.now() < deadline) await sleep(100);
    closeTimes.sort((a, b) => a - b);
    t.record('slow sockets closed by the server', `${closeTimes.length}/1000`, closeTimes.length === 1000);
    t.record('time to close from connect: min / p50 / max (5 s to 8 s)',
      `${closeTimes[0]} / ${percentile(closeTimes, 50)} / ${closeTimes.at(-1)} ms`,
      closeTimes.length > 0 && closeTimes[0] >= 4990 && closeTimes.at(-1) < 8000);
    t.headline(`${served}/100 normal clients served; ${closeTimes.length}/1000 slow sockets closed, p50 ${percentile(closeTimes, 50)} ms`);
    const text = await metricsText(server);
    t.record('smartlog_http_timeouts_total', metricValue(text, 'smartlog_http_timeouts_total'),
      metricValue(text, 'smartlog_http_timeouts_total') >= 1000);
  } finally {
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    await server.stop();
  }
}

// A noisy app held to app_rate_limit while a quiet app's producer→viewer latency holds.
async function phaseRate(t) {
  const RATE = 10000;
  const server = await startServer({
    args: ['--durability', 'memory', '--app-rate-limit', String(RATE), '--app-rate-burst', '1000'],
  });
  try {
    const viewer = (await openAuthed(server.wsUrl, { userId: 'v', appId: 'quiet' })).ws;
    const producer = (await openAuthed(server.wsUrl, { userId: 'p', appId: 'quiet', mode: 'producer' })).ws;
    const sent = new Map();
    const latencies = [];
    viewer.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type !== 'logs' || msg.history) return;
      const now = performance.now();
      for (const e of msg.payload) {
        const t = sent.get(e.message);
        if (t !== undefined) latencies.push(now - t);
      }
    });
    let seq = 0;
    async function measure(ms) {
      latencies.length = 0;
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const message = `q${seq++}`;
        sent.set(message, performance.now());
        producer.send(JSON.stringify({ type: 'logs', data: { logs: [{ message }] } }));
        await sleep(10);
      }
      await sleep(200);
      return [...latencies].sort((a, b) => a - b);
    }
    const idle = await measure(3000);
    const noisy = startRole('noisy', { url: server.wsUrl, ms: 6000 });
    await noisy.next((m) => m.started, 10000, 'noisy producer start');
    const loaded = await measure(5000);
    const flood = await noisy.next((m) => m.report, 20000, 'noisy producer');
    noisy.stop();
    const measured = flood.accepted / flood.seconds;
    t.record('noisy app: entries offered / accepted / refused',
      `${flood.offered} / ${flood.accepted} / ${flood.refused} in ${flood.seconds.toFixed(2)} s`);
    t.record(`noisy app accepted rate (limit ${RATE}/s, within 10%)`, `${measured.toFixed(0)}/s`,
      Math.abs(measured - RATE) <= 0.1 * RATE);
    const fmt = (a) => `p50 ${percentile(a, 50).toFixed(2)} ms, p99 ${percentile(a, 99).toFixed(2)} ms (n=${a.length})`;
    t.record('quiet app latency, idle', fmt(idle));
    t.record('quiet app latency, noisy app flooding', fmt(loaded));
    t.record('quiet p50 under flood <= 2x idle p50',
      `${(percentile(loaded, 50) / percentile(idle, 50)).toFixed(2)}x`, percentile(loaded, 50) <= 2 * percentile(idle, 50));
    t.record('quiet p99 under flood <= 2x idle p99',
      `${(percentile(loaded, 99) / percentile(idle, 99)).toFixed(2)}x`, percentile(loaded, 99) <= 2 * percentile(idle, 99));
    t.headline(`noisy app held to ${measured.toFixed(0)}/s; quiet app p50 ${(percentile(loaded, 50) / percentile(idle, 50)).toFixed(2)}x, p99 ${(percentile(loaded, 99) / percentile(idle, 99)).toFixed(2)}x idle`);
    const text = await metricsText(server);
    t.record('smartlog_entries_rate_limited_total{app="noisy"}',
      metricValue(text, 'smartlog_entries_rate_limited_total{app="noisy"}'));
    viewer.terminate();
    producer.terminate();
  } finally {
    await server.stop();
  }
}

// 10,000 authenticated idle connections: the server's RSS.
async function phaseIdle(t) {
  const N = 10000;
  const server = await startServer({ args: ['--durability', 'memory', '--max-connections', String(N + 100)] });
  try {
    const before = procStatus(server.proc.pid).rss;
    const started = Date.now();
    const conns = await withTimeout(openMany(server.wsUrl, N, 200, (i) => ({
      userId: `idle${i}`, appId: `app${i % 100}`, localAddress: SOURCES[i % SOURCES.length],
    })), 120000, 'opening the idle connections');
    const ok = conns.filter((c) => c.status === 'ok').length;
    t.record('authenticated connections held', `${ok}/${N} in ${Date.now() - started} ms`, ok === N);
    await sleep(1000);
    const after = procStatus(server.proc.pid);
    t.record('server RSS before / with them', `${mib(before)} / ${mib(after.rss)}`, after.rss < 200 * (1 << 20));
    t.record('server RSS per connection', `${((after.rss - before) / N / 1024).toFixed(1)} KiB`);
    t.headline(`${ok}/${N} held in ${mib(after.rss)} (${((after.rss - before) / N / 1024).toFixed(1)} KiB each)`);
    t.record('load generator (node) RSS', mib(process.memoryUsage().rss));
    const sample = conns.filter((_, i) => i % 100 === 0);
    const pongs = (await Promise.all(sample.map((c) => ping(c.ws)))).filter(Boolean).length;
    t.record('a sample of 100 still answers ping', `${pongs}/${sample.length}`, pongs === sample.length);
    closeAll(conns);
  } finally {
    await server.stop();
  }
}

// 100 viewers that never read while a producer floods their app: the server's memory.
async function phaseStalled(t) {
  const VIEWERS = 100;
  const MESSAGES = 600;
  const PER_MESSAGE = 500;
  const server = await startServer({ args: ['--durability', 'memory', '--idle-timeout', '60s'] });
  try {
    const viewers = await openMany(server.wsUrl, VIEWERS, 50, (i) => ({ userId: `s${i}`, appId: 'flood' }));
    // Stop reading: the kernel buffers fill, then the server's queues.
    for (const v of viewers) v.ws._socket.pause();
    const reader = (await openAuthed(server.wsUrl, { userId: 'r', appId: 'flood' })).ws;
    // A reader in this busy process may itself fall behind and be told so with `dropped`:
    // what it got plus what it was told it missed must be everything.
    let readerEntries = 0;
    let readerMissed = 0;
    reader.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'logs' && !msg.history) readerEntries += msg.payload.length;
      if (msg.type === 'dropped') readerMissed += msg.payload.count;
    });
    const base = procStatus(server.proc.pid).rss;
    let peak = base;
    const sampler = setInterval(() => { peak = Math.max(peak, procStatus(server.proc.pid).rss); }, 20);
    const producer = (await openAuthed(server.wsUrl, { userId: 'p', appId: 'flood', mode: 'producer' })).ws;
    const pad = 'x'.repeat(150);
    const batch = JSON.stringify({ type: 'logs', data: { logs: Array.from({ length: PER_MESSAGE }, (_, i) => ({ message: `flood ${i} ${pad}` })) } });
    const started = Date.now();
    let acked = 0;
    await withTimeout(new Promise((resolve) => {
      let sent = 0, inFlight = 0;
      const pump = () => {
        while (inFlight < 16 && sent < MESSAGES) {
          producer.send(batch);
          ++sent;
          ++inFlight;
        }
        if (acked === MESSAGES) resolve();
      };
      producer.on('message', (data) => {
        if (JSON.parse(data.toString()).type === 'logs_ack') {
          ++acked;
          --inFlight;
          pump();
        }
      });
      pump();
    }), 60000, 'the flood');
    const seconds = (Date.now() - started) / 1000;
    await sleep(1000);
    clearInterval(sampler);
    peak = Math.max(peak, procStatus(server.proc.pid).rss);
    const text = await metricsText(server);
    const maxOutbound = 8 << 20;
    t.record('flood', `${(MESSAGES * PER_MESSAGE).toLocaleString('en')} entries (${mib(MESSAGES * batch.length)}) in ${seconds.toFixed(2)} s`);
    t.record('server RSS before flood / peak / growth', `${mib(base)} / ${mib(peak)} / ${mib(peak - base)}`);
    t.record('bound: viewers x max_outbound_bytes (8 MiB)', mib(VIEWERS * maxOutbound), peak - base <= VIEWERS * maxOutbound);
    t.record('smartlog_outbound_queue_bytes (sum, shared frames counted per viewer)',
      mib(metricValue(text, 'smartlog_outbound_queue_bytes')));
    t.record('smartlog_outbound_queue_max_bytes', mib(metricValue(text, 'smartlog_outbound_queue_max_bytes')),
      metricValue(text, 'smartlog_outbound_queue_max_bytes') <= maxOutbound + (1 << 20));
    t.record('smartlog_live_entries_dropped_total', metricValue(text, 'smartlog_live_entries_dropped_total'));
    t.record('the reading viewer: received + told missed (dropped)',
      `${readerEntries.toLocaleString('en')} + ${readerMissed.toLocaleString('en')}`,
      readerEntries + readerMissed === MESSAGES * PER_MESSAGE);
    t.headline(`RSS growth ${mib(peak - base)} (bound ${mib(VIEWERS * maxOutbound)}); reader ${readerEntries.toLocaleString('en')} + ${readerMissed.toLocaleString('en')} dropped`);
    closeAll(viewers);
    reader.terminate();
    producer.terminate();
  } finally {
    await server.stop();
  }
}

module.exports = [
  { name: 'connections', title: '1,100 connections, max_connections = 1000', bound: '1,000 served, 100 refused 503', budgetMs: 120000, run: phaseConnections },
  { name: 'slowloris', title: '1,000 sockets dripping headers, header_timeout = 5s', bound: 'normal clients served; slow ones closed at 5-8 s', budgetMs: 90000, run: phaseSlowloris },
  { name: 'rate', title: 'noisy app against app_rate_limit = 10000/s', bound: 'held to its rate within 10%; quiet app latency <= 2x', budgetMs: 90000, run: phaseRate },
  { name: 'idle', title: '10,000 authenticated idle connections', bound: 'RSS < 200 MiB', budgetMs: 180000, run: phaseIdle },
  { name: 'stalled', title: '100 viewers that never read, 300,000 entries', bound: 'RSS growth <= viewers x max_outbound_bytes', budgetMs: 120000, run: phaseStalled },
];
