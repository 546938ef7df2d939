// Randomised isolation check against the real smartlogd (docs/protocol.md "Isolation", README, "Configuration"):
// SMARTLOG_ISOLATION_ATTEMPTS (default 10,000) seeded random attempts by users to reach apps
// that are not theirs, over WebSocket and HTTP: spoofed appId/userId in entries and metrics,
// request_history after other apps' ids, filter and clear without the permission, check_status
// probing, re-auth to apps without access, wrong and missing tokens, HTTP GET/POST/DELETE with
// an `app` query that disagrees with X-Smartlog-App. Every answer is checked against the
// config, every message any connection receives is checked for another app's entries, ids,
// metrics or markers, and at the end every stored entry is checked to come from a user who may
// write its app. Seed: SMARTLOG_ISOLATION_SEED (fixed by default, printed).
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { Client, sha256hex } = require('../support/client');
const { rng } = require('../support/random');

const ATTEMPTS = Number(process.env.SMARTLOG_ISOLATION_ATTEMPTS || 10000);
// Fixed, so a run repeats the last one; set SMARTLOG_ISOLATION_SEED to explore other sequences.
const SEED = Number(process.env.SMARTLOG_ISOLATION_SEED || 20240611);
if (!Number.isSafeInteger(SEED) || SEED < 0) {
  throw new Error(`SMARTLOG_ISOLATION_SEED must be a non-negative integer, not ${process.env.SMARTLOG_ISOLATION_SEED}`);
}
const LANES = 8;
const TIME_LIMIT_MS = 120000;

// Who may do what: the truth every answer is checked against.
const APPS = { a1: true, a2: true, a3: true, off: false };  // id -> active
const GRANTS = {
  ann: { a1: ['read', 'write', 'clear'], a2: ['read'] },
  ben: { a2: ['read', 'write', 'clear'] },
  cid: { a3: ['write'] },
  dee: { a1: ['read'], a3: ['read', 'clear'] },
  eve: { off: ['read', 'write'] },
  admin: { a1: ['read'], a2: ['read'], a3: ['read'] },  // only reads, at the end
};
const ACTORS = ['ann', 'ben', 'cid', 'dee', 'eve'];
const USERS = [...ACTORS, 'nobody'];  // nobody is not configured
const APP_IDS = [...Object.keys(APPS), 'zz'];  // zz does not exist
const token = (user) => `${user}-secret`;

const TOML = [
  ...Object.entries(APPS).map(([id, active]) => `[[apps]]\nid = "${id}"\nactive = ${active}\n`),
  ...Object.entries(GRANTS).map(([id, apps]) => `[[users]]\nid = "${id}"\ntoken_sha256 = "${sha256hex(token(id))}"\n` +
    `apps = { ${Object.entries(apps).map(([a, p]) => `${a} = ${JSON.stringify(p)}`).join(', ')} }\n`),
].join('\n');

const can = (user, app, perm) => Boolean(GRANTS[user]?.[app]?.includes(perm));
const hasAccess = (user, app) => app in APPS && (GRANTS[user]?.[app]?.length ?? 0) > 0;

// Every entry message and metric carries `K|<user>|<app>|n`: who sent it, for which app.
const MARKER = /K\|([a-z0-9]+)\|([a-z0-9]+)\|\d+/g;

test(`isolation: ${ATTEMPTS} random cross-app attempts, no leak`, { timeout: TIME_LIMIT_MS + 30000 }, async () => {
  console.log(`isolation seed ${SEED} (SMARTLOG_ISOLATION_SEED=${SEED} repeats it)`);
  const random = rng(SEED);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const chance = (p) => random() < p;
  const server = await startServer({ toml: TOML, args: ['--batch-max-delay', '2ms', '--metrics-interval', '250ms',
    // Thousands of control messages on a few connections: the rate limit is not what this tests.
    '--control-rate-limit', '0'] });
  const started = Date.now();
  const idApp = new Map();  // every entry id seen -> its app
  const idsByApp = {};
  const seen = (e) => {
    if (idApp.has(e.id)) return;
    idApp.set(e.id, e.appId);
    (idsByApp[e.appId] ||= []).push(e.id);
  };
  const leaks = [];
  const counts = {};
  const count = (kind) => { counts[kind] = (counts[kind] || 0) + 1; };
  let serial = 0;
  const marker = (user, app) => `K|${user}|${app}|${serial++}`;

  // The checker: whatever arrives on a connection must belong to the app it is authenticated
  // for at that point of the stream (messages arrive in order, auth_success switches it).
  const inspect = (lane, msg, raw) => {
    const app = lane.app;
    const leak = (why) => leaks.push(`${why} on a connection of ${lane.user}/${app}: ${raw.slice(0, 300)}`);
    if (msg.type === 'auth_success') {
      lane.app = msg.payload.appId;
      lane.user = msg.payload.userId;
      return;
    }
    for (const m of raw.matchAll(MARKER)) {
      if (m[2] !== app) leak(`marker of app ${m[2]}`);
    }
    if (msg.type === 'logs') {
      if (!app) leak('entries before auth');
      for (const e of msg.payload) {
        if (e.appId !== app) leak(`entry of app ${e.appId}`);
        const known = idApp.get(e.id);
        if (known && known !== app) leak(`id of app ${known}`);
        seen(e);
        const m = /K\|([a-z0-9]+)\|([a-z0-9]+)\|/.exec(e.message);
        if (!m || m[1] !== e.userId || !can(m[1], e.appId, 'write')) leak(`entry not written by an allowed user`);
      }
    } else if (msg.type === 'app_metrics') {
      if (msg.payload.appId !== app || !can(msg.payload.userId, app, 'write')) leak('app_metrics');
    } else if (msg.type === 'cleared') {
      if (msg.payload.appId !== app || !can(msg.payload.clearedBy, app, 'clear')) leak('cleared');
    } else if (msg.type === 'dropped') {
      const known = idApp.get(msg.payload.afterId);
      if (known && known !== app) leak('dropped.afterId');
    } else if (msg.type === 'metrics' && !app) {
      leak('metrics before auth');
    }
  };

  // The checker must be able to fail: a foreign entry, metric and marker are each caught.
  {
    const probe = { app: 'a1', user: 'ann' };
    const foreign = [
      { type: 'logs', payload: [{ id: 'x1', appId: 'a2', userId: 'ben', message: 'K|ben|a2|0' }] },
      { type: 'app_metrics', payload: { appId: 'a2', userId: 'ben', metrics: {} } },
      { type: 'error', payload: { code: 'bad_request', message: 'K|ben|a2|1' } },
      { type: 'cleared', payload: { appId: 'a1', clearedBy: 'dee' } },
    ];
    for (const msg of foreign) inspect(probe, msg, JSON.stringify(msg));
    assert.equal(leaks.length, 5, leaks.join('\n'));  // the first one leaks twice: app and marker
    leaks.length = 0;
    idApp.clear();
    for (const key of Object.keys(idsByApp)) delete idsByApp[key];
  }

  const lanes = [];
  const openLane = async (i) => {
    const client = await Client.connect(server.wsUrl);
    const lane = { i, client, app: null, user: null };
    client.ws.prependListener('message', (data) => {
      const raw = data.toString();
      inspect(lane, JSON.parse(raw), raw);
    });
    lanes[i] = lane;
    return lane;
  };
  for (let i = 0; i < LANES; i++) await openLane(i);

  // The reply to what was just sent, then a pong as a barrier (replies come in order).
  const reply = async (lane, msg, match) => {
    lane.client.send(msg);
    const answer = match ? await lane.client.next(match) : null;
    await lane.client.sync();
    lane.client.take();  // live batches, metrics: already inspected
    return answer;
  };
  const answerOf = (types) => (m) => types.includes(m.type);

  const expectRefusal = (lane, perm, answer, what) => {
    const code = !lane.app ? 'unauthenticated' : 'forbidden';
    assert.equal(answer.type, 'error', `${what} by ${lane.user}/${lane.app} (needs ${perm}): ${JSON.stringify(answer)}`);
    assert.equal(answer.payload.code, code, `${what}: ${JSON.stringify(answer)}`);
  };
  const allowed = (lane, perm) => lane.app && can(lane.user, lane.app, perm);
  const otherIds = (app) => Object.keys(APPS).filter((a) => a !== app).flatMap((a) => idsByApp[a] || []);

  const wsAttempt = async (lane) => {
    const kind = pick(['auth', 'auth', 'logs', 'logs', 'metrics', 'history', 'filter', 'clear', 'status', 'request_metrics']);
    count(`ws.${kind}`);
    if (kind === 'auth') {
      // Half to an app the user has a grant on, so that many connections get in and have
      // something to leak; half anywhere.
      const user = chance(0.5) ? pick(ACTORS) : pick(USERS);
      const app = user in GRANTS && chance(0.5) ? pick(Object.keys(GRANTS[user])) : pick(APP_IDS);
      const tok = chance(0.75) ? token(user) : chance(0.5) ? token(pick(ACTORS)) + 'x' : undefined;
      const data = { userId: user, appId: app, mode: chance(0.3) ? 'producer' : 'viewer' };
      if (tok !== undefined) data.token = tok;
      const before = { app: lane.app, user: lane.user };
      const answer = await reply(lane, { type: 'auth', data }, answerOf(['auth_success', 'auth_error']));
      const credentialsOk = user in GRANTS && tok === token(user);
      let expected = 'auth_success';
      if (!credentialsOk) expected = 'invalid_credentials';
      else if (!hasAccess(user, app)) expected = 'no_access';
      else if (!APPS[app]) expected = 'app_inactive';
      if (expected === 'auth_success') {
        assert.equal(answer.type, 'auth_success', `auth ${user}/${app}: ${JSON.stringify(answer)}`);
        assert.deepEqual([lane.user, lane.app], [user, app]);
      } else {
        assert.equal(answer.type, 'auth_error', `auth ${user}/${app} token ${tok}: ${JSON.stringify(answer)}`);
        assert.equal(answer.payload.code, expected, `auth ${user}/${app}: ${JSON.stringify(answer)}`);
        assert.deepEqual({ app: lane.app, user: lane.user }, before, 'a refused auth changed the connection');
      }
    } else if (kind === 'logs') {
      const n = 1 + Math.floor(random() * 3);
      const logs = Array.from({ length: n }, () => ({
        message: `${marker(lane.user, lane.app)} spoofing`,
        appId: pick(APP_IDS), userId: pick(USERS), level: pick(['info', 'error']),
      }));
      const answer = await reply(lane, { type: 'logs', ref: 'r', data: { logs } }, answerOf(['logs_ack', 'error']));
      if (allowed(lane, 'write')) {
        assert.equal(answer.type, 'logs_ack', JSON.stringify(answer));
        assert.equal(answer.payload.accepted, n);
      } else {
        expectRefusal(lane, 'write', answer, 'logs');
      }
    } else if (kind === 'metrics') {
      const data = { metrics: { mark: marker(lane.user, lane.app) }, appId: pick(APP_IDS), userId: pick(USERS) };
      const answer = await reply(lane, { type: 'send_metrics', data }, allowed(lane, 'write') ? null : 'error');
      if (!allowed(lane, 'write')) expectRefusal(lane, 'write', answer, 'send_metrics');
    } else if (kind === 'history') {
      const foreign = otherIds(lane.app);
      const msg = { type: 'request_history', limit: 50 };
      if (foreign.length && chance(0.8)) msg.afterId = pick(foreign);
      const answer = await reply(lane, msg, (m) => (m.type === 'logs' && m.history) || m.type === 'error');
      if (allowed(lane, 'read')) {
        assert.equal(answer.history, true, JSON.stringify(answer).slice(0, 200));
        if (msg.afterId) assert.equal(answer.gap, true, 'another app\'s id is unknown here');
      } else {
        expectRefusal(lane, 'read', answer, 'request_history');
      }
    } else if (kind === 'filter') {
      const answer = await reply(lane, { type: 'filter', filters: { search: pick(['K|', 'a1', 'a2', 'spoof']) } },
        answerOf(['filter_applied', 'error']));
      if (allowed(lane, 'read')) assert.equal(answer.type, 'filter_applied', JSON.stringify(answer));
      else expectRefusal(lane, 'read', answer, 'filter');
    } else if (kind === 'clear') {
      // Rarely allowed through, so that entries stay around to be leaked.
      if (allowed(lane, 'clear') && !chance(0.05)) return 'skip';
      // Another connection's clear may be heard first: wait for the expected kind.
      const answer = await reply(lane, { type: 'clear' }, allowed(lane, 'clear') ? 'cleared' : 'error');
      if (allowed(lane, 'clear')) assert.equal(answer.type, 'cleared');
      else expectRefusal(lane, 'clear', answer, 'clear');
    } else if (kind === 'status') {
      const user = pick(USERS);
      const app = pick(APP_IDS);
      const tok = chance(0.6) ? token(user) : token(pick(ACTORS)) + 'x';
      const answer = await reply(lane, { type: 'check_status', data: { userId: user, appId: app, token: tok } },
        'status_response');
      const ok = user in GRANTS && tok === token(user);
      const access = ok && hasAccess(user, app);
      assert.equal(answer.payload.success, ok);
      assert.deepEqual(answer.payload.status, {
        userExists: ok, appExists: access, userHasAccess: access, appIsActive: access && APPS[app],
      }, `check_status ${user}/${app} ok=${ok}`);
    } else {
      const answer = await reply(lane, { type: 'request_metrics' }, allowed(lane, 'read') ? 'metrics' : 'error');
      if (allowed(lane, 'read')) assert.equal(answer.type, 'metrics');
      else expectRefusal(lane, 'read', answer, 'request_metrics');
    }
  };

  const httpAttempt = async () => {
    const kind = pick(['get', 'get', 'post', 'post', 'delete']);
    count(`http.${kind}`);
    const user = pick(USERS);
    const headerApp = pick(APP_IDS);
    const queryApp = chance(0.8) ? pick(APP_IDS) : null;
    const app = queryApp ?? headerApp;  // the query wins (README, HTTP API)
    const tok = chance(0.7) ? token(user) : chance(0.5) ? 'wrong' : null;
    const headers = { 'X-Smartlog-User': user, 'X-Smartlog-App': headerApp, 'Content-Type': 'application/json' };
    if (tok) headers.Authorization = `Bearer ${tok}`;
    const url = `${server.url}api/v1/logs${queryApp ? `?app=${queryApp}` : ''}`;
    const perm = { get: 'read', post: 'write', delete: 'clear' }[kind];
    const ok = user in GRANTS && tok === token(user) && can(user, app, perm) && APPS[app];
    if (kind === 'delete' && ok && !chance(0.05)) return 'skip';
    let res;
    if (kind === 'post') {
      const body = Array.from({ length: 2 }, () => ({ message: `${marker(user, app)} http`, appId: pick(APP_IDS), userId: pick(USERS) }));
      res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    } else {
      res = await fetch(url, { method: kind.toUpperCase(), headers });
    }
    const text = await res.text();
    assert.equal(res.status === 200, Boolean(ok), `${kind} ${url} as ${user} (header app ${headerApp}, token ${tok}): ${res.status} ${text.slice(0, 200)}`);
    for (const m of text.matchAll(MARKER)) {
      if (m[2] !== app) leaks.push(`HTTP ${kind} for ${app} carried a marker of ${m[2]}`);
    }
    if (kind === 'get' && res.status === 200) {
      for (const e of JSON.parse(text).logs) {
        if (e.appId !== app) leaks.push(`HTTP GET for ${app} returned an entry of ${e.appId}`);
        seen(e);
      }
    }
  };

  let done = 0;
  const runLane = async (i) => {
    while (done < ATTEMPTS && Date.now() - started < TIME_LIMIT_MS) {
      done++;
      let lane = lanes[i];
      if (!lane.client.open) {
        count('reconnect');  // closed for too many refused messages before auth (docs/protocol.md)
        lane = await openLane(i);
      }
      try {
        if ((chance(0.15) ? await httpAttempt() : await wsAttempt(lane)) === 'skip') {
          done--;
          count('skipped: an allowed clear, not sent');
        }
      } catch (e) {
        // Only a connection that never authenticated may be closed: too many refused
        // messages, or auth_timeout (docs/protocol.md).
        if (lane.client.open || lane.app) throw e;
        count('closed before auth');
      }
    }
  };
  await Promise.all(lanes.map((_, i) => runLane(i)));
  const seconds = (Date.now() - started) / 1000;

  // Nothing was stored in an app by anyone who may not write it, under anyone else's name.
  let stored = 0;
  for (const app of ['a1', 'a2', 'a3']) {
    let before = null;
    for (;;) {
      const res = await fetch(`${server.url}api/v1/logs?app=${app}&limit=1000${before ? `&before=${before}` : ''}`,
        { headers: { Authorization: `Bearer ${token('admin')}`, 'X-Smartlog-User': 'admin' } });
      assert.equal(res.status, 200);
      const page = await res.json();
      for (const e of page.logs) {
        stored++;
        const m = /K\|([a-z0-9]+)\|([a-z0-9]+)\|/.exec(e.message);
        if (e.appId !== app || !m || m[2] !== app || m[1] !== e.userId || !can(e.userId, app, 'write')) {
          leaks.push(`stored in ${app}: ${JSON.stringify(e)}`);
        }
      }
      if (!page.nextBefore) break;
      before = page.nextBefore;
    }
  }
  for (const lane of lanes) lane.client.close();
  const { code } = await server.stop();
  assert.equal(code, 0, server.output());
  console.log(`isolation: ${done} attempts in ${seconds.toFixed(1)} s (${JSON.stringify(counts)}); ` +
    `${idApp.size} entry ids seen, ${stored} entries stored at the end, ${leaks.length} leaks`);
  assert.ok(done >= ATTEMPTS, `only ${done} of ${ATTEMPTS} attempts within ${TIME_LIMIT_MS} ms`);
  assert.deepEqual(leaks.slice(0, 10), []);
});
