// Time series of the server's `metrics` messages (docs/protocol.md, "Metrics"), drawn with uPlot, which the
// page loads as a classic script (window.uPlot) before this module runs.

import { bytes, clockTime, count, percent, numberOr } from './format.js';

// One hour of samples at the default 5 s interval.
const MAX_POINTS = 720;
const CHART_HEIGHT = 90;
// Tick steps for counts of whole things: no tick at half a connection.
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5];

const num = (v) => numberOr(v, null);

// Bytes per second of a counter that only grows while the server runs; null across a restart.
const perSecond = (pick) => (m, prev) => {
  if (!prev) return null;
  const now = num(pick(m));
  const before = num(pick(prev));
  const seconds = (m.timestamp - prev.timestamp) / 1000;
  if (now === null || before === null || now < before || !(seconds > 0)) return null;
  return (now - before) / seconds;
};

const CHARTS = [
  {
    id: 'cpu', title: 'CPU', format: percent, max: () => 100,
    series: [{ label: 'busy', pick: (m) => num(m.cpu?.usage) }],
    note: (m) => (num(m.cpu?.cores) ? `${m.cpu.cores} cores` : ''),
  },
  {
    id: 'memory', title: 'Memory', format: bytes, max: (m) => num(m.memory?.total),
    series: [{ label: 'used', pick: (m) => num(m.memory?.used) }],
    note: (m) => (num(m.memory?.total) ? `of ${bytes(m.memory.total)}` : ''),
  },
  {
    id: 'disk', title: 'Disk', format: bytes, max: (m) => num(m.disk?.total),
    series: [{ label: 'used', pick: (m) => num(m.disk?.used) }],
    note: (m) => (num(m.disk?.free) !== null ? `${bytes(m.disk.free)} free` : ''),
  },
  {
    id: 'network', title: 'Network', format: (v) => `${bytes(v)}/s`, axis: bytes, floor: 1024,
    series: [
      { label: 'received', pick: perSecond((m) => m.network?.bytesReceived) },
      { label: 'sent', pick: perSecond((m) => m.network?.bytesSent) },
    ],
    note: (m) => `${bytes(numberOr(m.network?.bytesReceived, NaN))} in · ` +
      `${bytes(numberOr(m.network?.bytesSent, NaN))} out`,
  },
  {
    id: 'connections', title: 'Connections', format: count, floor: 2, whole: true,
    series: [
      { label: 'on this app', pick: (m) => num(m.activeConnections) },
      { label: 'server total', pick: (m) => num(m.network?.connections) },
    ],
  },
  {
    id: 'rates', title: 'Entries / s', format: count,
    series: [
      { label: 'all', pick: (m) => num(m.messageRate) },
      { label: 'error + fatal', pick: (m) => num(m.errorRate) },
    ],
    // Entries the server refused: a producer that reads no acks (the original library) would
    // lose them without a trace.
    note: (m) => (num(m.rejectedEntries) !== null ? `${count(m.rejectedEntries)} rejected` : ''),
    alert: (m) => num(m.rejectedEntries) > 0,
  },
];

// Tick labels in local time, as precise as the tick spacing needs (short intervals in tests):
// HH:MM, HH:MM:SS or HH:MM:SS.d out of clockTime's HH:MM:SS.mmm.
function timeLabel(ticks) {
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 60;
  const length = step >= 60 ? 5 : step >= 1 ? 8 : 10;
  return (t) => clockTime(t * 1000).slice(0, length);
}

export class MetricsCharts {
  constructor(container) {
    this.container = container;
    this.previous = null;
    this.times = [];
    this.cards = CHARTS.map((def) => this.makeCard(def));
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(container);
  }

  makeCard(def) {
    const card = document.createElement('figure');
    card.className = 'chart';
    card.dataset.chart = def.id;
    card.dataset.points = '0';
    const head = document.createElement('figcaption');
    const title = document.createElement('span');
    title.className = 'chart-title';
    title.textContent = def.title;
    const note = document.createElement('span');
    note.className = 'chart-note';
    // One value per series; with two series, each carries its label and its line's colour.
    const values = def.series.map((s, i) => {
      const item = document.createElement('span');
      item.className = `chart-value series-${i + 1}`;
      if (def.series.length > 1) {
        const label = document.createElement('span');
        label.className = 'chart-label';
        label.textContent = s.label;
        item.append(label, ' ');
      }
      const value = document.createElement('b');
      value.textContent = '–';
      item.append(value);
      return { item, value };
    });
    head.append(title, ...values.map((v) => v.item), note);
    const plot = document.createElement('div');
    plot.className = 'chart-plot';
    card.append(head, plot);
    this.container.append(card);
    return {
      def, card, note, plot, values: values.map((v) => v.value),
      data: def.series.map(() => []), max: null, u: null,
    };
  }

  // Adds one PerformanceMetrics sample; repeats of the last timestamp are ignored.
  push(m) {
    if (!m || typeof m !== 'object') return;
    const ts = numberOr(m.timestamp, Date.now());
    const last = this.times[this.times.length - 1];
    if (last !== undefined && ts / 1000 <= last) {
      // A restarted server's clock may be behind ours: start again instead of going backwards.
      if (ts / 1000 < last - 60) this.reset();
      else return;
    }
    const sample = { ...m, timestamp: ts };
    this.times.push(ts / 1000);
    for (const c of this.cards) {
      c.def.series.forEach((s, i) => c.data[i].push(s.pick(sample, this.previous)));
      if (this.times.length > MAX_POINTS) c.data.forEach((d) => d.shift());
      c.data.forEach((d, i) => {
        const v = d[d.length - 1];
        c.values[i].textContent = v === null ? '–' : c.def.format(v);
      });
      c.note.textContent = c.def.note ? c.def.note(sample) : '';
      c.note.classList.toggle('alert', Boolean(c.def.alert?.(sample)));
      c.max = c.def.max ? c.def.max(sample) : null;
    }
    if (this.times.length > MAX_POINTS) this.times.shift();
    this.previous = sample;
    this.redraw();
  }

  reset() {
    this.times = [];
    this.previous = null;
    for (const c of this.cards) {
      c.data = c.def.series.map(() => []);
      for (const value of c.values) value.textContent = '–';
      c.note.textContent = '';
      c.note.classList.remove('alert');
    }
    this.redraw();
  }

  redraw() {
    for (const c of this.cards) {
      c.card.dataset.points = String(this.times.length);
      if (!c.u) this.build(c);
      c.u?.setData([this.times, ...c.data]);
      // One sample has no span, and the time axis would label the epoch ("00:00"): show the
      // minute around it.
      if (c.u && this.times.length === 1) c.u.setScale('x', { min: this.times[0] - 30, max: this.times[0] + 30 });
    }
  }

  // Colours come from the CSS theme; a theme change rebuilds the plots.
  rebuild() {
    for (const c of this.cards) {
      c.u?.destroy();
      c.u = null;
    }
    if (this.times.length) this.redraw();
  }

  build(c) {
    if (!window.uPlot || !c.plot.clientWidth) return;
    const css = getComputedStyle(document.documentElement);
    const color = (name) => css.getPropertyValue(name).trim();
    const palette = [color('--chart-1'), color('--chart-2')];
    const axis = {
      stroke: color('--muted'),
      grid: { stroke: color('--grid'), width: 1 },
      ticks: { stroke: color('--grid'), width: 1 },
      font: '11px system-ui, sans-serif',
    };
    const format = c.def.axis || c.def.format;
    c.u = new window.uPlot({
      width: c.plot.clientWidth,
      height: CHART_HEIGHT,
      // Room on the right for the last time label, which uPlot centres on its tick.
      padding: [6, 22, 0, 0],
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 5 } },
      scales: {
        x: { time: true },
        y: {
          // From zero, up to the total when there is one (memory, disk), so height means share.
          // A floor keeps an idle chart from labelling fractions of a byte or a connection.
          range: (u, min, max) => [0, Math.max(c.max ?? 0, max ?? 0, c.def.floor ?? 0) || 1],
        },
      },
      axes: [
        { ...axis, size: 28, space: 60, values: (u, ticks) => ticks.map(timeLabel(ticks)) },
        {
          ...axis,
          size: 66,
          ...(c.def.whole ? { incrs: WHOLE_STEPS } : {}),
          // A chart of a share of a total (CPU, memory, disk) runs to the total: quarters of it,
          // not round decimal steps that stop short (186 GiB of a 252 GiB disk).
          ...(c.def.max ? { splits: (u) => [0, 0.25, 0.5, 0.75, 1].map((f) => f * u.scales.y.max) } : {}),
          values: (u, ticks) => ticks.map((v) => format(v)),
        },
      ],
      series: [
        {},
        ...c.def.series.map((s, i) => ({
          label: s.label,
          stroke: palette[i],
          fill: i === 0 ? `${palette[0]}22` : undefined,
          width: 1.5,
          spanGaps: false,
        })),
      ],
    }, [this.times, ...c.data], c.plot);
    c.plot.setAttribute('role', 'img');
    c.plot.setAttribute('aria-label', `${c.def.title} over time`);
  }

  resize() {
    for (const c of this.cards) {
      if (!c.u) { if (this.times.length) this.build(c); continue; }
      const width = c.plot.clientWidth;
      if (width && width !== c.u.width) c.u.setSize({ width, height: CHART_HEIGHT });
    }
  }
}
