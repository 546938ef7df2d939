// Small pure helpers shared by the log view and the charts.

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
// Levels with a place in the order, least severe first: the six and, between debug and info,
// `log`, the original NehonixSmartLogger library's default level (SPEC 2).
export const RANKED_LEVELS = ['trace', 'debug', 'log', 'info', 'warn', 'error', 'fatal'];

const pad2 = (n) => String(n).padStart(2, '0');

// HH:MM:SS.mmm in local time: the column is narrow, the date is in the expanded row.
export function clockTime(ms) {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.` +
    String(d.getMilliseconds()).padStart(3, '0');
}

// "" for a time of today (local), else its day: "05-01" this year, "2023-12-31" before.
export function dayLabel(ms, now = Date.now()) {
  const d = new Date(ms);
  const today = new Date(now);
  if (!Number.isFinite(d.getTime())) return '';
  if (d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() &&
      d.getDate() === today.getDate()) return '';
  const day = `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  return d.getFullYear() === today.getFullYear() ? day : `${d.getFullYear()}-${day}`;
}

export function fullTime(ms) {
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? d.toISOString() : String(ms);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(n) {
  if (!Number.isFinite(n)) return '–';
  let i = 0;
  let v = Math.abs(n);
  while (v >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
  const digits = i === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${n < 0 ? '-' : ''}${v.toFixed(digits)} ${UNITS[i]}`;
}

export function count(n) {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: n < 10 ? 2 : n < 100 ? 1 : 0 });
}

// "1 row", "2 rows", "1,200 entries": a count with its noun in the right number.
export function counted(n, one, many = `${one}s`) {
  return `${count(n)} ${n === 1 ? one : many}`;
}

export function percent(n) {
  return Number.isFinite(n) ? `${n.toFixed(n < 10 ? 1 : 0)} %` : '–';
}

// ms since the epoch for an <input type="datetime-local"> value, or undefined when empty.
export function fromLocalInput(value) {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

// The <input type="datetime-local"> value (local time, to the minute) for ms since the epoch.
export function toLocalInput(ms) {
  const d = new Date(ms);
  if (!Number.isFinite(d.getTime())) return '';
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

export function numberOr(value, fallback) {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
