// One value of smartlogd's /metrics (Prometheus text), for tests that check a counter or gauge.
'use strict';

// The value of the series `name` with exactly `labels` (the text between the braces, e.g.
// 'source="otlp"'; none by default) at `baseUrl` (a server's url, ending in '/'), or NaN when
// there is no such series.
async function metricValue(baseUrl, name, labels = '') {
  const text = await (await fetch(`${baseUrl}metrics`)).text();
  const prefix = labels ? `${name}{${labels}} ` : `${name} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(prefix.length)) : NaN;
}

module.exports = { metricValue };
