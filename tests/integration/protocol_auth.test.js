// Authentication, re-authentication, unauthenticated messages, check_status, permissions and
// producer mode (docs/protocol.md, "Re-authentication", README, "Configuration").
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/server');
const { Client, as, connectAs, sendLogs, history, TEST_TOML } = require('../support/client');

let server;
before(async () => {
  server = await startServer({ toml: TEST_TOML, args: ['--history-limit', '50', '--metrics-interval', '200ms'] });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, `smartlogd exit code\n${server.output()}`);
});

async function authReply(data) {
  const c = await Client.connect(server.wsUrl);
  const reply = await c.request({ type: 'auth', data }, (m) => m.type === 'auth_success' || m.type === 'auth_error');
  return { c, reply };
}

describe('auth', () => {
  test('auth_success carries appId, userId, permissions, historyLimit and serverVersion', async () => {
    const { c, reply } = await authReply({ userId: 'alice', appId: 'app1', token: 'alice-token' });
    assert.equal(reply.type, 'auth_success');
    assert.equal(reply.payload.appId, 'app1');
    assert.equal(reply.payload.userId, 'alice');
    assert.deepEqual([...reply.payload.permissions].sort(), ['clear', 'read', 'write']);
    assert.equal(reply.payload.historyLimit, 50);
    assert.equal(typeof reply.payload.serverVersion, 'string');
    assert.ok(reply.payload.serverVersion.length > 0);
    c.close();

    const r = await authReply({ userId: 'reader', appId: 'app1', token: 'reader-token' });
    assert.deepEqual(r.reply.payload.permissions, ['read']);
    r.c.close();
  });

  test('the endpoint is / and also /ws', async () => {
    const c = await connectAs(`${server.wsUrl}ws`, 'alice', 'app1', { token: 'alice-token' });
    assert.equal(c.authReply.payload.appId, 'app1');
    c.close();
    await assert.rejects(Client.connect(`${server.wsUrl}elsewhere`));
  });

  test('unknown user, wrong token and missing token get the same invalid_credentials reply', async () => {
    const replies = [];
    for (const data of [
      { userId: 'nobody', appId: 'app1', token: 'alice-token' },
      { userId: 'alice', appId: 'app1', token: 'wrong-token' },
      { userId: 'alice', appId: 'app1' },
      { userId: 'alice', appId: 'app1', token: '' },
    ]) {
      const { c, reply } = await authReply(data);
      assert.equal(reply.type, 'auth_error', JSON.stringify(data));
      assert.equal(reply.payload.code, 'invalid_credentials', JSON.stringify(data));
      assert.equal(typeof reply.payload.message, 'string');
      replies.push(JSON.stringify(reply));
      c.close();
    }
    assert.equal(new Set(replies).size, 1, `replies differ:\n${replies.join('\n')}`);
  });

  test('unknown app and app without permission get the same no_access reply', async () => {
    const replies = [];
    for (const data of [
      { userId: 'reader', appId: 'no-such-app', token: 'reader-token' },
      { userId: 'reader', appId: 'app2', token: 'reader-token' },
      { userId: 'reader', appId: 'dormant', token: 'reader-token' },  // inactive, but no access
    ]) {
      const { c, reply } = await authReply(data);
      assert.equal(reply.type, 'auth_error', JSON.stringify(data));
      assert.equal(reply.payload.code, 'no_access', JSON.stringify(data));
      replies.push(JSON.stringify(reply));
      c.close();
    }
    assert.equal(new Set(replies).size, 1, `replies differ:\n${replies.join('\n')}`);
  });

  test('an inactive app gets app_inactive for a user who has access', async () => {
    const { c, reply } = await authReply({ userId: 'alice', appId: 'dormant', token: 'alice-token' });
    assert.equal(reply.type, 'auth_error');
    assert.equal(reply.payload.code, 'app_inactive');
    assert.equal(typeof reply.payload.message, 'string');
    c.close();
  });

  test('a malformed auth gets auth_error/bad_request', async () => {
    const c = await Client.connect(server.wsUrl);
    for (const msg of [
      { type: 'auth' },
      { type: 'auth', data: 'alice' },
      { type: 'auth', data: { userId: 42, appId: 'app1', token: 'alice-token' } },
      { type: 'auth', data: { userId: 'alice', appId: '', token: 'alice-token' } },
      { type: 'auth', data: { userId: 'alice', token: 'alice-token' } },
      { type: 'auth', data: { userId: 'alice', appId: 'app1', token: 7 } },
      { type: 'auth', data: { userId: 'alice', appId: 'app1', token: 'alice-token', mode: 'admin' } },
    ]) {
      const reply = await c.request(msg, (m) => m.type === 'auth_error' || m.type === 'auth_success' || m.type === 'error');
      assert.equal(reply.type, 'auth_error', JSON.stringify(msg));
      assert.equal(reply.payload.code, 'bad_request', JSON.stringify(msg));
    }
    assert.ok(c.open);
    c.close();
  });

  test('the connection stays open after auth_error and a later auth succeeds', async () => {
    const c = await Client.connect(server.wsUrl);
    let reply = await c.request({ type: 'auth', data: { userId: 'alice', appId: 'app1', token: 'nope' } }, 'auth_error');
    assert.equal(reply.payload.code, 'invalid_credentials');
    reply = await c.request({ type: 'auth', data: { userId: 'alice', appId: 'nope' , token: 'alice-token' } }, 'auth_error');
    assert.equal(reply.payload.code, 'no_access');
    await c.sync();
    assert.ok(c.open);
    reply = await c.request({ type: 'auth', data: { userId: 'alice', appId: 'app1', token: 'alice-token' } }, 'auth_success');
    assert.equal(reply.payload.appId, 'app1');
    await history(c);  // authenticated now
    c.close();
  });

  test('re-auth switches the connection to the new user and app', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    const p1 = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
    const p2 = await as(server.wsUrl, 'bob', 'app2', { mode: 'producer' });
    await sendLogs(p2, [{ message: 'reauth: in app2 before the switch' }]);

    const reply = await viewer.request({ type: 'auth', data: { userId: 'bob', appId: 'app2', token: 'bob-token' } }, 'auth_success');
    assert.equal(reply.payload.appId, 'app2');
    assert.equal(reply.payload.userId, 'bob');

    await sendLogs(p1, [{ message: 'reauth: app1 after the switch' }]);
    await sendLogs(p2, [{ message: 'reauth: app2 after the switch' }]);
    // (The entry sent to app2 before the switch may still have been in a pending batch at the
    // switch: then it arrives live, per "history meets live".)
    const live = [];
    while (!live.some((e) => e.message === 'reauth: app2 after the switch')) live.push(...(await viewer.entries(1)));
    assert.ok(live.every((e) => e.appId === 'app2'), JSON.stringify(live));
    assert.ok(!live.some((e) => e.message === 'reauth: app1 after the switch'));
    const h = await history(viewer);
    assert.ok(h.payload.every((e) => e.appId === 'app2'), JSON.stringify(h.payload));
    assert.ok(h.payload.some((e) => e.message === 'reauth: in app2 before the switch'), JSON.stringify(h));
    await viewer.sync();
    assert.deepEqual(viewer.take('logs'), [], 'nothing of app1 after the switch');
    // And the user is bob now: clear is cleared by bob.
    viewer.send({ type: 'clear' });
    const cleared = await viewer.next('cleared');
    assert.equal(cleared.payload.clearedBy, 'bob');
    assert.equal(cleared.payload.appId, 'app2');
    for (const c of [viewer, p1, p2]) c.close();
  });

  test('re-auth to a read-only grant drops the permissions of the old one', async () => {
    const c = await as(server.wsUrl, 'alice', 'app1');
    await c.request({ type: 'auth', data: { userId: 'reader', appId: 'app1', token: 'reader-token' } }, 'auth_success');
    const err = await c.request({ type: 'logs', data: { logs: [{ message: 'should be refused' }] } }, 'error');
    assert.equal(err.payload.code, 'forbidden');
    c.close();
  });

  test('a failed re-auth leaves the connection as it was: app, user, permissions, filter', async () => {
    const viewer = await as(server.wsUrl, 'alice', 'app1');
    await viewer.request({ type: 'filter', filters: { level: ['error'], search: 'kept-filter' } }, 'filter_applied');
    for (const data of [
      { userId: 'bob', appId: 'app2', token: 'wrong' },
      { userId: 'alice', appId: 'no-such-app', token: 'alice-token' },
      { userId: 'alice', appId: 'dormant', token: 'alice-token' },
      { userId: 'alice' },
    ]) {
      const reply = await viewer.request({ type: 'auth', data }, 'auth_error');
      assert.ok(reply.payload.code, JSON.stringify(data));
    }
    const producer = await as(server.wsUrl, 'writer', 'app1');
    const ack = await sendLogs(producer, [
      { level: 'info', message: 'kept-filter info' },
      { level: 'error', message: 'kept-filter error' },
      { level: 'error', message: 'other error' },
    ]);
    assert.equal(ack.payload.accepted, 3);
    const live = await viewer.entries(1);
    assert.deepEqual(live.map((e) => e.message), ['kept-filter error']);
    assert.equal(live[0].appId, 'app1');
    // Still alice, still allowed to write.
    const own = await sendLogs(viewer, [{ message: 'still alice' }]);
    assert.equal(own.payload.accepted, 1);
    const h = await history(viewer, { limit: 50 });
    assert.ok(h.payload.every((e) => e.appId === 'app1'));
    viewer.close();
    producer.close();
  });
});

describe('unauthenticated messages', () => {
  const guarded = [
    { type: 'filter', filters: { level: ['error'] } },
    { type: 'clear' },
    { type: 'request_metrics' },
    { type: 'request_history' },
    { type: 'history' },
    { type: 'logs', data: { logs: [{ message: 'sneaky' }] } },
    { type: 'send_metrics', data: { metrics: { a: 1 } } },
  ];

  test('every message but auth, check_status and ping gets error/unauthenticated', async () => {
    const c = await Client.connect(server.wsUrl);
    for (const [i, msg] of guarded.entries()) {
      const err = await c.request({ ...msg, ref: `r${i}` }, 'error');
      assert.equal(err.payload.code, 'unauthenticated', JSON.stringify(msg));
      assert.equal(err.payload.ref, `r${i}`);
      assert.equal(typeof err.payload.message, 'string');
    }
    assert.ok(c.open);
    // Nothing of that was done: the sneaky entry is not in app1's history.
    const alice = await as(server.wsUrl, 'alice', 'app1');
    const h = await history(alice);
    assert.ok(!h.payload.some((e) => e.message === 'sneaky'));
    c.close();
    alice.close();
  });

  test('unauthenticated takes precedence over bad_request', async () => {
    const c = await Client.connect(server.wsUrl);
    for (const msg of [
      { type: 'no_such_type' },
      { type: 'filter', filters: { level: 'error', startTime: 'yesterday' } },
      { type: 'request_history', limit: 'all' },
      { type: 'logs', data: 'not an object' },
      { nottype: 1 },
    ]) {
      const err = await c.request(msg, 'error');
      assert.equal(err.payload.code, 'unauthenticated', JSON.stringify(msg));
    }
    c.close();
  });

  test('malformed JSON gets error/bad_json, before and after auth, and the connection stays', async () => {
    const c = await Client.connect(server.wsUrl);
    let err = await c.request('{"type": "auth", ', 'error');
    assert.equal(err.payload.code, 'bad_json');
    await c.request({ type: 'auth', data: { userId: 'alice', appId: 'app1', token: 'alice-token' } }, 'auth_success');
    err = await c.request('not json at all', 'error');
    assert.equal(err.payload.code, 'bad_json');
    await c.sync();
    assert.ok(c.open);
    c.close();
  });

  test('ping gets pong before and after auth', async () => {
    const c = await Client.connect(server.wsUrl);
    const pong = await c.request({ type: 'ping' }, 'pong');
    assert.equal(pong.type, 'pong');
    await c.request({ type: 'auth', data: { userId: 'alice', appId: 'app1', token: 'alice-token' } }, 'auth_success');
    await c.request({ type: 'ping', ref: 1 }, 'pong');
    await c.sync();
    assert.deepEqual(c.take('error'), []);
    c.close();
  });

  test('more than 10 rejected messages before auth close the connection with 1008', async () => {
    const c = await Client.connect(server.wsUrl);
    for (let i = 0; i < 10; i++) {
      const err = await c.request({ type: 'request_history' }, 'error');
      assert.equal(err.payload.code, 'unauthenticated');
    }
    await c.sync();  // ping is not a rejected message
    assert.ok(c.open, 'ten rejections are allowed');
    c.send({ type: 'request_history' });
    const { code, reason } = await c.waitClose();
    assert.equal(code, 1008);
    assert.ok(reason.length > 0, 'the close frame carries a reason');
    assert.ok(c.take('error').length >= 1, 'an error precedes the close');
  });

  test('failed auths count as rejected messages before auth', async () => {
    const c = await Client.connect(server.wsUrl);
    for (let i = 0; i < 11; i++) {
      c.send({ type: 'auth', data: { userId: 'alice', appId: 'app1', token: `guess-${i}` } });
    }
    const { code } = await c.waitClose();
    assert.equal(code, 1008);
    assert.equal(c.take('auth_error').length >= 10, true);
  });
});

describe('check_status', () => {
  async function status(data) {
    const c = await Client.connect(server.wsUrl);
    const reply = await c.request({ type: 'check_status', data }, (m) => m.type === 'status_response' || m.type === 'error');
    c.close();
    return reply;
  }

  test('answers before auth with the four facts for good credentials', async () => {
    let r = await status({ userId: 'alice', appId: 'app1', token: 'alice-token' });
    assert.equal(r.type, 'status_response');
    assert.equal(r.payload.success, true);
    assert.equal(typeof r.payload.message, 'string');
    assert.deepEqual(r.payload.status, { userExists: true, appExists: true, userHasAccess: true, appIsActive: true });

    r = await status({ userId: 'alice', appId: 'dormant', token: 'alice-token' });
    assert.equal(r.payload.status.userHasAccess, true);
    assert.equal(r.payload.status.appIsActive, false);

    r = await status({ userId: 'reader', appId: 'app2', token: 'reader-token' });
    assert.equal(r.payload.status.userExists, true);
    assert.equal(r.payload.status.userHasAccess, false);
  });

  test('reveals nothing to a caller whose token is wrong', async () => {
    const replies = [];
    for (const data of [
      { userId: 'alice', appId: 'app1', token: 'wrong' },
      { userId: 'alice', appId: 'app1' },
      { userId: 'alice', appId: 'dormant', token: 'wrong' },
      { userId: 'nobody', appId: 'app1', token: 'wrong' },
      { userId: 'nobody', appId: 'no-such-app', token: 'wrong' },
    ]) {
      const r = await status(data);
      assert.equal(r.type, 'status_response', JSON.stringify(data));
      assert.equal(r.payload.success, false);
      replies.push(JSON.stringify(r));
    }
    assert.equal(new Set(replies).size, 1, `replies differ:\n${replies.join('\n')}`);
    const { status: s } = JSON.parse(replies[0]).payload;
    assert.ok(!s.userExists && !s.appExists && !s.userHasAccess && !s.appIsActive, JSON.stringify(s));
  });

  test('does not authenticate the connection', async () => {
    const c = await Client.connect(server.wsUrl);
    await c.request({ type: 'check_status', data: { userId: 'alice', appId: 'app1', token: 'alice-token' } }, 'status_response');
    const err = await c.request({ type: 'request_history' }, 'error');
    assert.equal(err.payload.code, 'unauthenticated');
    c.close();
  });

  test('a malformed check_status gets bad_request, not unauthenticated', async () => {
    const c = await Client.connect(server.wsUrl);
    const err = await c.request({ type: 'check_status', data: { userId: 5 } }, 'error');
    assert.equal(err.payload.code, 'bad_request');
    c.close();
  });
});

describe('permissions', () => {
  test('logs and send_metrics without write are forbidden and store nothing', async () => {
    const reader = await as(server.wsUrl, 'reader', 'app1');
    let err = await reader.request({ type: 'logs', ref: 'w1', data: { logs: [{ message: 'forbidden-write' }] } }, 'error');
    assert.equal(err.payload.code, 'forbidden');
    assert.equal(err.payload.ref, 'w1');
    err = await reader.request({ type: 'send_metrics', data: { metrics: { forbidden: true } } }, 'error');
    assert.equal(err.payload.code, 'forbidden');
    await reader.sync();
    assert.deepEqual(reader.take('logs_ack'), []);
    assert.deepEqual(reader.take('app_metrics'), []);
    const h = await history(reader);
    assert.ok(!h.payload.some((e) => e.message === 'forbidden-write'));
    assert.ok(reader.open);
    reader.close();
  });

  test('clear without the clear permission is forbidden and clears nothing', async () => {
    const alice = await as(server.wsUrl, 'alice', 'app1');
    await sendLogs(alice, [{ message: 'survives a forbidden clear' }]);
    await alice.next((m) => m.type === 'logs' && m.payload.some((e) => e.message === 'survives a forbidden clear'));
    for (const user of ['reader', 'writer']) {
      const c = await as(server.wsUrl, user, 'app1');
      const err = await c.request({ type: 'clear', ref: 9 }, 'error');
      assert.equal(err.payload.code, 'forbidden', user);
      assert.equal(err.payload.ref, 9);
      c.close();
    }
    await alice.sync();
    assert.deepEqual(alice.take('cleared'), []);
    const h = await history(alice);
    assert.ok(h.payload.some((e) => e.message === 'survives a forbidden clear'));
    alice.close();
  });

  test('filter, request_history, history and request_metrics without read are forbidden', async () => {
    const writer = await as(server.wsUrl, 'writer', 'app1');
    for (const msg of [
      { type: 'filter', filters: { level: ['error'] } },
      { type: 'request_history' },
      { type: 'history' },
      { type: 'request_metrics' },
    ]) {
      const err = await writer.request(msg, 'error');
      assert.equal(err.payload.code, 'forbidden', msg.type);
    }
    await writer.sync();
    assert.deepEqual(writer.take('logs'), []);
    assert.deepEqual(writer.take('metrics'), []);
    assert.deepEqual(writer.take('filter_applied'), []);
    const ack = await sendLogs(writer, [{ message: 'writer may write' }]);
    assert.equal(ack.payload.accepted, 1);
    writer.close();
  });
});

describe('producer mode', () => {
  test('a producer receives no logs, metrics or app_metrics: only acks and errors', async () => {
    const producer = await as(server.wsUrl, 'alice', 'app1', { mode: 'producer' });
    const viewer = await as(server.wsUrl, 'reader', 'app1');
    const other = await as(server.wsUrl, 'writer', 'app1');
    const ack = await sendLogs(producer, [{ message: 'from the producer' }], 'p1');
    assert.equal(ack.payload.ref, 'p1');
    await sendLogs(other, [{ message: 'from another producer' }]);
    other.send({ type: 'send_metrics', data: { metrics: { queue: 3 } } });
    await viewer.entries(2);
    await viewer.next('app_metrics');
    // Two metrics pushes reach the viewer (every 200 ms); none reaches the producer.
    await viewer.next('metrics', 2000);
    await viewer.next('metrics', 2000);
    const err = await producer.request({ type: 'no_such_type' }, 'error');
    assert.equal(err.payload.code, 'bad_request');
    await producer.sync();
    const seen = producer.take().map((m) => m.type);
    assert.deepEqual(seen.filter((t) => ['logs', 'metrics', 'app_metrics'].includes(t)), [], seen.join(','));
    for (const c of [producer, viewer, other]) c.close();
  });
});

describe('auth timeout', () => {
  let fast;
  before(async () => {
    fast = await startServer({ toml: TEST_TOML, args: ['--auth-timeout', '300ms'] });
  });
  after(async () => { await fast.stop(); });

  test('a connection that does not authenticate in time gets error, then close 1008 with a reason', async () => {
    const started = Date.now();
    const c = await Client.connect(fast.wsUrl);
    const idle = await Client.connect(fast.wsUrl);
    const err = await c.next('error', 3000);
    assert.equal(typeof err.payload.code, 'string');
    const { code, reason } = await c.waitClose(3000);
    assert.equal(code, 1008);
    assert.ok(reason.length > 0);
    assert.ok(Date.now() - started >= 250, 'not before auth_timeout');
    assert.equal((await idle.waitClose(3000)).code, 1008);
  });

  test('an authenticated connection is not closed by auth_timeout', async () => {
    const c = await connectAs(fast.wsUrl, 'alice', 'app1', { token: 'alice-token' });
    await new Promise((r) => setTimeout(r, 600));  // twice auth_timeout: the point of this test
    await c.sync();
    assert.ok(c.open);
    c.close();
  });
});
