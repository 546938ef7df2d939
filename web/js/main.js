// The dashboard's wiring: sign-in, the viewer protocol (docs/protocol.md), filters, the log view,
// the metrics charts, theme and keyboard shortcuts.

import { Connection, defaultServerUrl } from './connection.js';
import { LogView } from './log_view.js';
import { MetricsCharts } from './charts.js';
import { LEVELS, RANKED_LEVELS, bytes, count, counted, clockTime, fromLocalInput, toLocalInput } from './format.js';
import { readViewState, writeViewState } from './view_state.js';
import { exportLogs, fetchApps } from './apps.js';
import { AllApps } from './all_apps.js';

const MAX_ROWS = 5000;
const SESSION_KEY = 'smartlog.session';   // sessionStorage: survives a reload, not the tab
const SIGNIN_KEY = 'smartlog.signin';     // localStorage: prefill, never the token
const THEME_KEY = 'smartlog.theme';

const $ = (id) => document.getElementById(id);

const AUTH_ERRORS = {
  invalid_credentials: 'Unknown user or wrong token.',
  no_access: 'This user has no access to that app, or the app does not exist.',
  app_inactive: 'This app is deactivated: nobody can sign in to it until it is reactivated.',
  bad_request: 'The server could not read the sign-in request: fill in both user ID and app ID.',
};

const ERRORS = {
  forbidden: 'Not allowed',
  rate_limited: 'Rate limited',
  too_large: 'Too large',
  bad_request: 'Refused',
  unauthenticated: 'Not signed in',
  bad_json: 'Unreadable message',
};

// --- state -----------------------------------------------------------------------------------

const filter = { levels: new Set(LEVELS), start: undefined, end: undefined, search: '' };
// Every level with a toggle, in toolbar order: the six canonical ones, then each other level
// seen in this app's entries (`log` of the original library, custom ones).
let knownLevels = [...LEVELS];
let session = null;            // {url, userId, appId, token}
let lastId = null;             // newest entry accounted for: where a reconnect resumes (docs/protocol.md)
let historyPaging = false;     // a paged history answer has more pages to come
let historyPageCount = 0;      // entries of the answer so far
let historyMode = null;        // 'replace' | 'resume' while a request_history is unanswered
let held = [];                 // what arrived before that answer, to apply after it
let filtersInFlight = 0;        // filter changes sent, not yet answered: reload after the last
let filterChangedOffline = false;
let historyLimit = 1000;
let received = 0;              // entries received, for the rate shown in the status bar
let receivedTotal = 0;         // since the page opened; tests/e2e/render_rate.js reads it
let rate = 0;

const view = new LogView($('log-scroll'), {
  capacity: MAX_ROWS,
  onChange: scheduleStatus,
  onFieldClick: addSearchTerm,
});
const charts = new MetricsCharts($('charts'));
// Other apps' live entries, in the "All my apps" view: not the page's app, so no resume point.
const allApps = new AllApps({
  onEntries: (entries) => {
    received += entries.length;
    receivedTotal += entries.length;
    view.push(entries);
  },
  filterMessage: () => (filterIsDefault() ? null : filterMessage()),
  onLive: (n) => { $('all-apps').dataset.live = String(n); },
});
let myApps = [];
const connection = new Connection({
  onState: showConnectionState,
  onAuthenticated,
  onAuthError,
  onMessage,
});

// --- protocol --------------------------------------------------------------------------------

function onAuthenticated(payload, resumed) {
  const permissions = Array.isArray(payload.permissions) ? payload.permissions : [];
  showWriteOnly(!permissions.includes('read'), payload.appId ?? session.appId);
  refreshApps();
  saveView();
  historyLimit = Number.isInteger(payload.historyLimit) && payload.historyLimit > 0
    ? payload.historyLimit : 1000;
  $('clear').hidden = !permissions.includes('clear');
  $('who-app').textContent = payload.appId ?? session.appId;
  $('who-user').textContent = payload.userId ?? session.userId;
  $('server-version').textContent = payload.serverVersion ? `smartlogd ${payload.serverVersion}` : '';
  showDashboard();

  // What is shown may not match the filter, or a reload was cut short: start afresh.
  const reload = !resumed || filterChangedOffline || filtersInFlight > 0 ||
    historyMode === 'replace';
  // A new connection: filter messages sent on the old one died with it.
  filtersInFlight = 0;
  filterChangedOffline = false;
  connection.send({ type: 'request_metrics' });
  if (!filterIsDefault()) connection.send(filterMessage());
  // The server answers in order: the history below already obeys the filter sent above.
  if (reload) {
    view.clear();
    requestHistory('replace');
  } else {
    requestHistory('resume', lastId ? { afterId: lastId } : {});
  }
  if (!resumed) $('log-scroll').focus();
}

function onAuthError(payload, wasLive) {
  const text = AUTH_ERRORS[payload.code] || payload.message || 'Sign-in refused.';
  // The server's own words only when they add something to ours.
  const same = (a, b) => a.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim() ===
    b.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
  const detail = payload.message && AUTH_ERRORS[payload.code] && !same(payload.message, text)
    ? `Server: ${payload.message}` : '';
  sessionStorage.removeItem(SESSION_KEY);
  showSignIn(wasLive ? `Signed out by the server. ${text}` : text, detail, payload.code);
}

function onMessage(msg) {
  switch (msg.type) {
    case 'logs': {
      const entries = Array.isArray(msg.payload) ? msg.payload : [];
      if (msg.history === true) onHistory(entries, msg.gap === true, msg.more === true);
      else afterHistory(() => addLive(entries));
      break;
    }
    case 'metrics':
      charts.push(msg.payload);
      $('metrics-updated').textContent = `updated ${clockTime(Date.now())}`;
      break;
    case 'app_metrics':
      showAppMetrics(msg.payload);
      break;
    case 'filter_applied':
      if (filtersInFlight > 0 && --filtersInFlight === 0) requestHistory('replace');
      break;
    case 'cleared': {
      const p = msg.payload || {};
      view.clear();
      lastId = null;
      const by = p.clearedBy ? ` by ${p.clearedBy}` : '';
      const when = Number.isFinite(p.timestamp) ? ` at ${clockTime(p.timestamp)}` : '';
      const n = Number.isFinite(p.count) ? ` (${counted(p.count, 'entry', 'entries')} removed)` : '';
      view.mark('info', `History cleared${by}${when}${n}`);
      break;
    }
    case 'dropped': {
      const n = msg.payload?.count;
      afterHistory(() => view.mark('dropped', `Missed ${Number.isFinite(n) ? count(n) : 'some'} ` +
        'entries: this view fell behind the stream and the server skipped them'));
      break;
    }
    case 'error': {
      const p = msg.payload || {};
      // A refused filter changes nothing, but one applied before it may have.
      if (filtersInFlight > 0 && p.code === 'bad_request' && --filtersInFlight === 0) {
        requestHistory('replace');
      }
      toast(`${ERRORS[p.code] || 'Error'}: ${p.message || p.code || 'unknown error'}`, 'error');
      break;
    }
    default:
      break;  // The protocol grows; unknown messages are not errors.
  }
}

// Runs `apply` now, or after the history answer that is on its way: what the server sent
// after that answer must not land in the list before it.
function afterHistory(apply) {
  if (historyMode) held.push(apply);
  else apply();
}

// aria-busy says the list is about to be rebuilt (screen readers wait for it, and so can a test
// that asked for history).
function setHistoryMode(mode) {
  historyMode = mode;
  $('log-scroll').setAttribute('aria-busy', String(mode !== null));
}

function requestHistory(mode, extra = {}) {
  setHistoryMode(mode);
  historyPaging = false;
  held = [];
  connection.send({ type: 'request_history', limit: Math.min(historyLimit, MAX_ROWS), ...extra });
}

function onHistory(entries, gap, more) {
  // A large answer arrives in pages ("more": true on all but the last).
  const mode = historyMode;
  const first = !historyPaging;
  historyPaging = more;
  historyPageCount = (first ? 0 : historyPageCount) + entries.length;
  if (mode === 'resume') {
    if (first && gap) {
      view.mark('gap', 'Gap: some entries sent while this page was disconnected are no longer ' +
        'kept by the server and are missing here');
    }
    view.push(entries);
    if (!more) {
      view.mark('info', `Reconnected · ${count(historyPageCount)} missed ` +
        `${historyPageCount === 1 ? 'entry' : 'entries'} loaded`);
    }
  } else {
    if (first) {
      view.clear();
      if (gap) view.mark('gap', 'Gap: older entries are no longer kept by the server');
      lastId = null;
    }
    view.push(entries);
  }
  noteLevels(entries);
  noteLastId(entries);
  if (more) return;
  setHistoryMode(null);
  const waiting = held;
  held = [];
  for (const apply of waiting) apply();
}

function addLive(entries) {
  noteLevels(entries);
  received += entries.length;
  receivedTotal += entries.length;
  view.push(entries);
  noteLastId(entries);
}

function noteLastId(entries) {
  for (let i = entries.length - 1; i >= 0; i--) {
    if (typeof entries[i]?.id === 'string') {
      lastId = entries[i].id;
      return;
    }
  }
}

// --- filters ---------------------------------------------------------------------------------

// A level seen for the first time gets its toggle, on: without one, its entries would vanish
// as soon as any other level is switched off (the filter lists the levels shown).
function noteLevels(entries) {
  let added = false;
  for (const entry of entries) {
    const level = entry?.level;
    if (typeof level !== 'string' || !level || knownLevels.includes(level)) continue;
    filter.levels.add(level);
    addLevelToggle(level);
    added = true;
  }
  // Some levels are off, so the server was sent a list: add the new one to it.
  if (added && filter.levels.size < knownLevels.length) applyFilter();
}

function addLevelToggle(level) {
  const button = document.createElement('button');
  button.type = 'button';
  const rank = RANKED_LEVELS.indexOf(level);
  button.className = `level-toggle lvl-${rank >= 0 ? level : 'other'} level-extra`;
  button.dataset.level = level;
  button.textContent = level;
  button.setAttribute('aria-pressed', String(filter.levels.has(level)));
  button.addEventListener('click', (e) => toggleLevel(level, e.shiftKey));
  // A ranked level (log) goes to its place among the six; others after them, as seen.
  const group = document.querySelector('.levels');
  const after = rank < 0 ? null : [...group.children]
    .find((b) => RANKED_LEVELS.indexOf(b.dataset.level) > rank);
  group.insertBefore(button, after || null);
  knownLevels = [...group.children].map((b) => b.dataset.level);
}

// Another app: its own levels go; the choice among the six stays (it may come from the URL).
function resetLevels() {
  for (const button of document.querySelectorAll('.level-extra')) button.remove();
  knownLevels = [...LEVELS];
  filter.levels = new Set([...filter.levels].filter((l) => LEVELS.includes(l)));
  if (filter.levels.size === 0) filter.levels = new Set(LEVELS);
  for (const button of document.querySelectorAll('.level-toggle')) {
    button.setAttribute('aria-pressed', String(filter.levels.has(button.dataset.level)));
  }
}

function filterIsDefault() {
  return filter.levels.size === knownLevels.length && filter.start === undefined &&
    filter.end === undefined && !filter.search;
}

function filterMessage() {
  const filters = {};
  // No `level` means every level, including ones no toggle knows yet.
  if (filter.levels.size < knownLevels.length) filters.level = knownLevels.filter((l) => filter.levels.has(l));
  if (filter.start !== undefined) filters.startTime = filter.start;
  if (filter.end !== undefined) filters.endTime = filter.end;
  if (filter.search) filters.search = filter.search;
  return { type: 'filter', filters };
}

function applyFilter() {
  const rangeError = filter.start !== undefined && filter.end !== undefined &&
    filter.start > filter.end;
  $('range-error').hidden = !rangeError;
  if (rangeError) return;
  $('filter-summary').textContent = filterIsDefault() ? '' : 'filtered';
  saveView();
  allApps.send(filterMessage());
  // Offline, the filter goes out with the next sign-in.
  if (connection.send(filterMessage())) filtersInFlight++;
  else filterChangedOffline = true;
}

function toggleLevel(level, solo) {
  if (solo) {
    const only = filter.levels.size === 1 && filter.levels.has(level);
    filter.levels = new Set(only ? knownLevels : [level]);
  } else if (filter.levels.has(level)) {
    if (filter.levels.size === 1) {
      toast('At least one level stays on: Shift+click a level to show it alone.', 'info');
      return;
    }
    filter.levels.delete(level);
  } else {
    filter.levels.add(level);
  }
  for (const button of document.querySelectorAll('.level-toggle')) {
    button.setAttribute('aria-pressed', String(filter.levels.has(button.dataset.level)));
  }
  applyFilter();
}

let searchTimer = 0;
function onSearchInput() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    const value = $('search').value.trim();
    if (value === filter.search) return;
    filter.search = value;
    applyFilter();
  }, 300);
}

// A click on a metadata value: add its term to the search (once) and apply it.
function addSearchTerm(term) {
  const current = filter.search ? filter.search.split(/\s+/) : [];
  if (current.includes(term)) return;
  filter.search = [...current, term].join(' ');
  $('search').value = filter.search;
  applyFilter();
}

function onRangeChange() {
  filter.start = fromLocalInput($('start').value);
  // The end field has minute precision: include the whole of its last minute.
  const end = fromLocalInput($('end').value);
  filter.end = end === undefined ? undefined : end + 59999;
  applyFilter();
}

// --- UI --------------------------------------------------------------------------------------

function showDashboard() {
  $('signin').hidden = true;
  $('dashboard').hidden = false;
  $('sign-out').hidden = false;
  $('who').hidden = false;
  // Charts measure their width on first draw; they could not while hidden.
  charts.resize();
}

function showSignIn(error = '', detail = '', code = '') {
  $('dashboard').hidden = true;
  $('sign-out').hidden = true;
  $('who').hidden = true;
  $('signin').hidden = false;
  const box = $('signin-error');
  box.hidden = !error;
  box.dataset.code = code;
  $('signin-error-text').textContent = error;
  $('signin-error-detail').textContent = detail;
  const form = $('signin-form');
  (error && code === 'invalid_credentials' ? form.token : form.userId.value ? form.token : form.userId)
    .focus();
}

let countdownTimer = 0;
function showConnectionState(state, detail) {
  const box = $('conn');
  box.dataset.state = state;
  clearInterval(countdownTimer);
  $('retry').hidden = state !== 'waiting';
  const text = $('conn-text');
  const labels = {
    idle: 'Signed out',
    connecting: detail.attempt ? `Reconnecting (attempt ${detail.attempt + 1})…` : 'Connecting…',
    authenticating: 'Signing in…',
    live: 'Live',
    rejected: 'Sign-in refused',
  };
  const remaining = $('conn-countdown');
  remaining.textContent = '';
  if (state !== 'waiting') {
    text.textContent = labels[state];
    box.title = '';
    return;
  }
  text.textContent = 'Offline';
  if (detail.serverReason) toast(`The server closed the connection: ${detail.serverReason}`, 'error');
  const due = Date.now() + detail.delayMs;
  // Outside the live region: a screen reader hears "Offline" once, not every second.
  const tick = () => {
    const seconds = Math.max(0, Math.ceil((due - Date.now()) / 1000));
    remaining.textContent = ` · retrying in ${seconds} s`;
  };
  tick();
  countdownTimer = setInterval(tick, 1000);
  box.title = `${detail.reason} (attempt ${detail.attempt})`;
}

let statusTimer = 0;
let statusAt = 0;
// The view changes every frame under load; the numbers need not.
function scheduleStatus() {
  if (statusTimer) return;
  const wait = Math.max(0, 250 - (performance.now() - statusAt));
  statusTimer = setTimeout(updateStatus, wait);
}

function updateStatus() {
  statusTimer = 0;
  statusAt = performance.now();
  $('stat-rows').textContent = counted(view.size, 'row') +
    (view.size >= MAX_ROWS ? ` (newest ${count(MAX_ROWS)} kept)` : '');
  $('stat-rate').textContent = `${count(Math.round(rate))} entries/s`;
  $('stat-rate').dataset.total = String(receivedTotal);
  const pause = $('pause');
  pause.setAttribute('aria-pressed', String(view.paused));
  pause.textContent = view.paused
    ? `Resume${view.waiting ? ` (${count(view.waiting)} new)` : ''}` : 'Pause';
  $('follow').setAttribute('aria-pressed', String(view.following));
  $('stat-follow').textContent = view.paused ? 'paused' : view.following ? 'following' : 'scrolled up · F to follow';
  $('log-panel').dataset.following = String(view.following);
}

let rateAt = performance.now();
setInterval(() => {
  const now = performance.now();
  const current = (received * 1000) / (now - rateAt);
  received = 0;
  rateAt = now;
  // Smoothed so a bursty producer reads as a number, not a flicker.
  rate = rate * 0.5 + current * 0.5;
  scheduleStatus();
}, 1000);

let noticeTimer = 0;
function toast(text, kind = 'info') {
  const box = $('notice');
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.hidden = true; }, kind === 'error' ? 8000 : 5000);
}

function showAppMetrics(p) {
  if (!p || typeof p !== 'object') return;
  const rows = [];
  flatten(p.metrics, '', rows, 0);
  const list = $('app-metrics-list');
  list.replaceChildren();
  for (const [key, value] of rows.slice(0, 40)) {
    const dt = document.createElement('dt');
    dt.textContent = key || 'value';
    const dd = document.createElement('dd');
    dd.textContent = value;
    list.append(dt, dd);
  }
  const when = Number.isFinite(p.timestamp) ? clockTime(p.timestamp) : clockTime(Date.now());
  $('app-metrics-source').textContent = `from ${p.userId ?? '?'} at ${when}`;
  $('app-metrics').hidden = false;
}

function flatten(value, prefix, out, depth) {
  if (value !== null && typeof value === 'object' && depth < 4) {
    for (const [k, v] of Object.entries(value)) {
      flatten(v, prefix ? `${prefix}.${k}` : k, out, depth + 1);
    }
  } else if (typeof value === 'number') {
    out.push([prefix, /bytes/i.test(prefix) ? bytes(value) : count(value)]);
  } else {
    out.push([prefix, typeof value === 'string' ? value : JSON.stringify(value)]);
  }
}

// --- theme -----------------------------------------------------------------------------------

const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');

// The stylesheet knows one attribute, data-theme; without a stored choice it follows the system.
function applyTheme() {
  const stored = localStorage.getItem(THEME_KEY);
  const theme = stored === 'light' || stored === 'dark' ? stored : darkQuery.matches ? 'dark' : 'light';
  document.documentElement.dataset.theme = theme;
  const toggle = $('theme-toggle');
  toggle.setAttribute('aria-pressed', String(theme === 'dark'));
  toggle.title = theme === 'dark' ? 'Switch to the light theme (T)' : 'Switch to the dark theme (T)';
  charts.rebuild();
}

function toggleTheme() {
  localStorage.setItem(THEME_KEY, document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark');
  applyTheme();
}

// --- sign-in ---------------------------------------------------------------------------------

function signIn(next) {
  session = next;
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(next));
  localStorage.setItem(SIGNIN_KEY, JSON.stringify({
    url: next.url === defaultServerUrl() ? '' : next.url, userId: next.userId, appId: next.appId,
  }));
  lastId = null;
  setHistoryMode(null);
  historyPaging = false;
  held = [];
  resetLevels();
  $('signin-error').hidden = true;
  connection.start(next.url, { userId: next.userId, appId: next.appId, token: next.token });
}

function signOut() {
  setAllApps(false);
  sessionStorage.removeItem(SESSION_KEY);
  session = null;
  connection.stop();
  view.clear();
  charts.reset();
  $('app-metrics').hidden = true;
  showSignIn();
}

function prefill() {
  const form = $('signin-form');
  const saved = readJson(localStorage, SIGNIN_KEY) || {};
  const params = new URLSearchParams(window.location.search);
  form.userId.value = params.get('userId') || saved.userId || '';
  form.appId.value = params.get('app') || params.get('appId') || saved.appId || '';
  form.url.value = saved.url || '';
  form.url.placeholder = defaultServerUrl();
}

function readJson(storage, key) {
  try {
    return JSON.parse(storage.getItem(key));
  } catch {
    return null;
  }
}

// --- keyboard --------------------------------------------------------------------------------

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  const typing = target.matches('input, textarea, select');
  if (typing) {
    if (event.key === 'Escape') target.blur();
    return;
  }
  if (document.querySelector('dialog[open]') || $('dashboard').hidden) {
    if (event.key === '?' && !document.querySelector('dialog[open]')) $('help').showModal();
    return;
  }
  const onControl = target.matches('button, summary, a, .detail');
  const actions = {
    '/': () => $('search').focus(),
    '?': () => $('help').showModal(),
    f: () => view.follow(),
    End: () => view.follow(),
    p: () => togglePause(),
    ' ': onControl ? null : () => togglePause(),
    j: () => view.moveSelection(1),
    k: () => view.moveSelection(-1),
    o: () => view.toggleSelected(),
    Enter: onControl ? null : () => view.toggleSelected(),
    h: () => loadHistory(),
    t: () => toggleTheme(),
    m: () => toggleMetrics(),
  };
  const digit = Number(event.key);
  const action = actions[event.key] ||
    (digit >= 1 && digit <= LEVELS.length ? () => toggleLevel(LEVELS[digit - 1], false) : null);
  if (!action) return;
  event.preventDefault();
  action();
}

function togglePause() {
  view.setPaused(!view.paused);
  saveView();
  // The button answers the key at once; the throttle is for the stream, not for the reader.
  updateStatus();
}

function toggleMetrics() {
  const hidden = !$('dashboard').classList.toggle('metrics-hidden');
  $('metrics-toggle').setAttribute('aria-pressed', String(hidden));
  if (hidden) charts.resize();
}

function loadHistory() {
  if (!connection.live) {
    toast('Not connected: history loads once the connection is back.', 'info');
    return;
  }
  requestHistory('replace');
}

// --- the view in the URL, apps, export ------------------------------------------------------

const urlView = readViewState();

function saveView() {
  writeViewState({
    app: session?.appId,
    levels: LEVELS.filter((l) => filter.levels.has(l)),
    allLevels: LEVELS,
    q: filter.search,
    from: filter.start,
    to: filter.end,
    paused: view.paused,
  });
}

// The URL's view, before the first sign-in: the filter goes out with it.
function restoreView(v) {
  const levels = (v.levels || []).filter((l) => LEVELS.includes(l));
  if (levels.length) filter.levels = new Set(levels);
  for (const button of document.querySelectorAll('.level-toggle')) {
    button.setAttribute('aria-pressed', String(filter.levels.has(button.dataset.level)));
  }
  if (v.q) {
    filter.search = v.q;
    $('search').value = v.q;
  }
  filter.start = v.from;
  filter.end = v.to;
  $('start').value = v.from === undefined ? '' : toLocalInput(v.from);
  $('end').value = v.to === undefined ? '' : toLocalInput(v.to);
  if (v.paused) view.setPaused(true);
  $('filter-summary').textContent = filterIsDefault() ? '' : 'filtered';
}

// Last 5 m / 1 h / 24 h: from now minus that, open-ended.
function setLastRange(ms) {
  filter.start = Date.now() - ms;
  filter.end = undefined;
  $('start').value = toLocalInput(filter.start);
  $('end').value = '';
  applyFilter();
  if (connection.live) requestHistory('replace');
}

let appsRequest = 0;
async function refreshApps() {
  const mine = ++appsRequest;
  const select = $('app-switch');
  try {
    const { apps } = await fetchApps(session);
    if (mine !== appsRequest) return;
    myApps = apps;
    const readable = apps.filter((a) => a.active && a.permissions.includes('read'));
    $('all-apps').hidden = readable.length < 2;
    if (allApps.active) allApps.start(session, myApps, session.appId);
    select.replaceChildren(...apps.map((a) => {
      const option = new Option(a.name && a.name !== a.id ? `${a.name} (${a.id})` : a.id, a.id);
      option.disabled = !a.active;
      if (!a.active) option.textContent += ' – inactive';
      return option;
    }));
    select.value = session.appId;
    select.hidden = apps.length < 2;
    $('who-app').hidden = !select.hidden;
  } catch {
    // The switcher is a convenience: without it the page works as before.
    select.hidden = true;
    $('who-app').hidden = false;
  }
}

function switchApp(appId) {
  if (!session || appId === session.appId) return;
  setAllApps(false);
  view.clear();
  charts.reset();
  $('app-metrics').hidden = true;
  signIn({ ...session, appId });
}

// "All my apps": the page's app and a live viewer of each other readable app, in one list.
function setAllApps(on) {
  if (on && session) allApps.start(session, myApps, session.appId);
  else allApps.stop();
  $('all-apps').setAttribute('aria-pressed', String(allApps.active));
  $('log-scroll').classList.toggle('all-apps', allApps.active);
}

async function exportShown(format) {
  if (!session) return;
  try {
    const size = await exportLogs(session, {
      levels: LEVELS.filter((l) => filter.levels.has(l)),
      allLevels: LEVELS,
      start: filter.start,
      end: filter.end,
      search: filter.search,
    }, format);
    toast(`Exported ${bytes(size)} as ${format.toUpperCase()}.`, 'info');
  } catch (err) {
    toast(`Export failed: ${err.message}`, 'error');
  }
}

// A user who may only send: the live page would stay empty forever. Say what they can do.
function showWriteOnly(writeOnly, appId) {
  $('dashboard').classList.toggle('write-only', writeOnly);
  let box = $('write-only');
  if (!writeOnly) {
    if (box) box.hidden = true;
    return;
  }
  if (!box) {
    box = document.createElement('div');
    box.id = 'write-only';
    box.className = 'write-only card';
    $('log-panel').prepend(box);
  }
  box.hidden = false;
  box.replaceChildren();
  const title = document.createElement('h2');
  title.textContent = `This user may send logs to ${appId}, not read them`;
  const text = document.createElement('p');
  text.textContent = 'Nothing will appear here. Send entries with the C++ client, `smartlog send`, ' +
    'or POST /api/v1/logs; to watch them, sign in as a user with the read permission on this app.';
  box.append(title, text);
}

// --- start -----------------------------------------------------------------------------------

function bind() {
  $('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    signIn({
      url: form.url.value.trim() || defaultServerUrl(),
      userId: form.userId.value.trim(),
      appId: form.appId.value.trim(),
      token: form.token.value,
    });
  });
  $('sign-out').addEventListener('click', signOut);
  $('retry').addEventListener('click', () => connection.retryNow());
  $('theme-toggle').addEventListener('click', toggleTheme);
  $('help-open').addEventListener('click', () => $('help').showModal());
  for (const button of document.querySelectorAll('.level-toggle')) {
    button.addEventListener('click', (e) => toggleLevel(button.dataset.level, e.shiftKey));
  }
  $('search').addEventListener('input', onSearchInput);
  $('search').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { clearTimeout(searchTimer); filter.search = e.target.value.trim(); applyFilter(); }
  });
  $('start').addEventListener('change', onRangeChange);
  $('end').addEventListener('change', onRangeChange);
  $('range-reset').addEventListener('click', () => {
    $('start').value = '';
    $('end').value = '';
    onRangeChange();
  });
  $('history').addEventListener('click', loadHistory);
  $('pause').addEventListener('click', togglePause);
  $('follow').addEventListener('click', () => view.follow());
  $('metrics-toggle').addEventListener('click', toggleMetrics);
  $('clear').addEventListener('click', () => {
    $('clear-app').textContent = session?.appId ?? '';
    // Escape closes without a value and leaves the last one: clear it, or Escape would clear.
    $('confirm-clear').returnValue = '';
    $('confirm-clear').showModal();
  });
  $('app-switch').addEventListener('change', (e) => switchApp(e.target.value));
  $('all-apps').addEventListener('click', () => setAllApps(!allApps.active));
  $('export-ndjson').addEventListener('click', () => exportShown('ndjson'));
  $('export-csv').addEventListener('click', () => exportShown('csv'));
  for (const button of document.querySelectorAll('.quick-range')) {
    button.addEventListener('click', () => setLastRange(Number(button.dataset.rangeMs)));
  }
  $('confirm-clear').addEventListener('close', () => {
    if ($('confirm-clear').returnValue !== 'clear') return;
    if (!connection.send({ type: 'clear' })) toast('Not connected: nothing was cleared.', 'error');
  });
  document.addEventListener('keydown', onKey);
  window.addEventListener('online', () => connection.retryNow());
  darkQuery.addEventListener('change', applyTheme);
}

bind();
prefill();
applyTheme();
restoreView(urlView);
updateStatus();
const saved = readJson(sessionStorage, SESSION_KEY);
// A shared link names its app: the same user and token look at it.
if (saved && saved.userId && saved.appId && saved.url) signIn(urlView.app ? { ...saved, appId: urlView.app } : saved);
else showSignIn();
