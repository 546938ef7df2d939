// Measures how many live entries per second the dashboard renders without dropping frames.
// Not a test (a figure, not a verdict; STYLE: performance is measured, never asserted):
//   SMARTLOG_BIN=build/web-release/app/smartlogd node tests/e2e/render_rate.js [rates...]
// For each rate, a producer floods the app for a few seconds while the page counts its
// animation frames; a frame that comes more than 25 ms after the previous one missed a vsync.
// Chromium's own TaskDuration (CPU time of the page's main thread) gives the cost per entry,
// which depends much less than frame timing on what else the machine is doing.
'use strict';
const { startServer } = require('../support/server');
const h = require('./helpers');

const RATES = process.argv.slice(2).map(Number).filter(Boolean);
const rates = RATES.length ? RATES : [1000, 2000, 5000, 10000, 20000, 40000];
const SECONDS = 4;
const TICK_MS = 10;

async function flood(producer, perSecond, seconds) {
  const perTick = Math.max(1, Math.round((perSecond * TICK_MS) / 1000));
  const lines = h.sampleLogs(perTick, 'flood');
  const start = Date.now();
  let sent = 0;
  while (Date.now() - start < seconds * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * perSecond);
    while (sent < due) {
      producer.sendNow(lines);
      sent += perTick;
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  return sent;
}

async function main() {
  const server = await startServer({ args: ['--metrics-interval', '1s'] });
  const browser = await h.launchBrowser();
  const results = [];
  try {
    const page = await h.openPage(browser);
    await h.signIn(page, server.url, { userId: 'bench', appId: 'render' });
    await h.waitLive(page);
    const producer = await h.connectProducer(server.wsUrl, { userId: 'bench', appId: 'render' });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const busySeconds = async () => (await cdp.send('Performance.getMetrics')).metrics
      .find((m) => m.name === 'TaskDuration').value;

    for (const rate of rates) {
      await page.evaluate(() => {
        window.frameGaps = [];
        let last = performance.now();
        const loop = (now) => {
          window.frameGaps.push(now - last);
          last = now;
          if (window.frameGaps.length < 100000) window.frameLoop = requestAnimationFrame(loop);
        };
        window.frameLoop = requestAnimationFrame(loop);
      });
      const before = Number(await page.getAttribute('#stat-rate', 'data-total'));
      const busyBefore = await busySeconds();
      const t0 = Date.now();
      const sent = await flood(producer, rate, SECONDS);
      const elapsed = (Date.now() - t0) / 1000;
      // Let the last batches arrive and the counters update.
      await new Promise((resolve) => setTimeout(resolve, 400));
      const gaps = await page.evaluate(() => {
        cancelAnimationFrame(window.frameLoop);
        return window.frameGaps.slice(1);
      });
      const after = Number(await page.getAttribute('#stat-rate', 'data-total'));
      const busy = (await busySeconds()) - busyBefore;
      const sorted = [...gaps].sort((a, b) => a - b);
      const long = gaps.filter((g) => g > 25).length;
      results.push({
        target: rate,
        sentPerSecond: Math.round(sent / elapsed),
        renderedPerSecond: Math.round((after - before) / elapsed),
        fps: Math.round(gaps.length / (gaps.reduce((a, b) => a + b, 0) / 1000)),
        longFrames: `${((100 * long) / gaps.length).toFixed(1)} %`,
        p95FrameMs: Number(sorted[Math.floor(sorted.length * 0.95)].toFixed(1)),
        maxFrameMs: Number(sorted[sorted.length - 1].toFixed(1)),
        mainThreadBusy: `${((100 * busy) / elapsed).toFixed(0)} %`,
        usPerEntry: Number(((busy * 1e6) / Math.max(1, after - before)).toFixed(2)),
      });
      console.log(JSON.stringify(results[results.length - 1]));
    }
    producer.close();
  } finally {
    await browser.close();
    await server.stop();
  }
  console.table(results);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
