// A small WebSocket test client for smartlogd (Node's `ws`): connect, send JSON, wait for the
// next message of a type with a timeout, collect, wait for the close. Used by
// tests/integration/protocol_*.test.js.
'use strict';
const crypto = require('node:crypto');
const WebSocket = require('ws');

const DEFAULT_TIMEOUT_MS = 3000;

class Client {
  constructor(ws) {
    this.ws = ws;
    this.inbox = [];    // messages not yet taken, in arrival order
    this.received = []; // every message, in arrival order
    this.waiters = [];  // {match, resolve, reject, timer}
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error(`connection closed ${code} "${reason}" while waiting for ${w.what}`));
        }
        resolve(this.closeInfo);
      });
    });
    ws.on('error', () => {});  // surfaces as a close
    ws.on('message', (data, isBinary) => {
      let msg;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        msg = { type: '<not json>', raw: data.toString(), isBinary };
      }
      this.received.push(msg);
      const i = this.waiters.findIndex((w) => w.match(msg));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve(msg);
      } else {
        this.inbox.push(msg);
      }
    });
  }

  // Opens a connection; `options` go to `ws` (e.g. {autoPong: false}).
  static connect(url, options = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new Client(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  get open() { return this.ws.readyState === WebSocket.OPEN; }

  // Sends an object as JSON, or a string / Buffer as it is.
  send(msg, options) {
    const data = typeof msg === 'string' || Buffer.isBuffer(msg) ? msg : JSON.stringify(msg);
    this.ws.send(data, options);
  }

  // Resolves with the first not-yet-taken message of `type` (or matching a predicate) and takes it.
  next(type, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const match = typeof type === 'function' ? type : (m) => m.type === type;
    const what = typeof type === 'function' ? 'a matching message' : `"${type}"`;
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    if (this.closeInfo) {
      return Promise.reject(new Error(`connection closed ${this.closeInfo.code} before ${what}`));
    }
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve, reject, what };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        const seen = this.inbox.map((m) => m.type).join(', ') || 'nothing';
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; unread: ${seen}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  // Sends `msg` and resolves with the next message of `type`.
  async request(msg, type, timeoutMs) {
    this.send(msg);
    return this.next(type, timeoutMs);
  }

  // Takes every unread message of `type` (all unread ones when no type is given).
  take(type) {
    const out = [];
    this.inbox = this.inbox.filter((m) => ((!type || m.type === type) ? (out.push(m), false) : true));
    return out;
  }

  // Barrier: the server answers in order, so once the pong is here every reply to what was
  // sent before it is in the inbox.
  async sync(timeoutMs) {
    await this.request({ type: 'ping' }, 'pong', timeoutMs);
  }

  // Collects live log entries (payloads of non-history `logs`) until `count` have arrived.
  async entries(count, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const out = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < count) {
      const msg = await this.next((m) => m.type === 'logs' && !m.history, Math.max(1, deadline - Date.now()));
      out.push(...msg.payload);
    }
    return out;
  }

  // Resolves with {code, reason} once the server has closed the connection.
  async waitClose(timeoutMs = DEFAULT_TIMEOUT_MS) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not closed within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close() {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }
}

// Connects and authenticates; resolves with the client, after `auth_success`.
async function connectAs(url, userId, appId, { token, mode, options } = {}) {
  const client = await Client.connect(url, options);
  const data = { userId, appId };
  if (token !== undefined) data.token = token;
  if (mode !== undefined) data.mode = mode;
  const reply = await client.request({ type: 'auth', data }, (m) => m.type === 'auth_success' || m.type === 'auth_error');
  if (reply.type !== 'auth_success') {
    client.close();
    throw new Error(`auth refused for ${userId}/${appId}: ${JSON.stringify(reply)}`);
  }
  client.authReply = reply;
  return client;
}

function sha256hex(text) {
  return crypto.createHash('sha256').update(text).digest('hex');
}

// Polls `check` (async, returns a truthy value when done) every `everyMs` until `timeoutMs`.
async function waitFor(check, { timeoutMs = DEFAULT_TIMEOUT_MS, everyMs = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// The apps and users most protocol tests share. Every user's token is `<id>-token`, except
// user123 (the seed's example user), who has none configured.
const TEST_TOML = `
[[apps]]
id = "app1"
name = "App one"

[[apps]]
id = "app2"
name = "App two"

[[apps]]
id = "app456"
name = "The seed's example app"

[[apps]]
id = "dormant"
active = false

[[users]]
id = "alice"
token_sha256 = "${sha256hex('alice-token')}"
apps = { app1 = ["read", "write", "clear"], app2 = ["read", "write", "clear"], dormant = ["read"] }

[[users]]
id = "bob"
token_sha256 = "${sha256hex('bob-token')}"
apps = { app2 = ["read", "write", "clear"] }

[[users]]
id = "reader"
token_sha256 = "${sha256hex('reader-token')}"
apps = { app1 = ["read"] }

[[users]]
id = "writer"
token_sha256 = "${sha256hex('writer-token')}"
apps = { app1 = ["write"] }

[[users]]
id = "user123"
apps = { app456 = ["read", "write", "clear"] }
`;

// Shorthand for the users of TEST_TOML.
function as(url, user, appId, extra = {}) {
  const token = user === 'user123' ? undefined : `${user}-token`;
  return connectAs(url, user, appId, { token, ...extra });
}

// Sends `logs` and resolves with the `logs_ack`.
async function sendLogs(client, logs, ref) {
  const msg = { type: 'logs', data: { logs } };
  if (ref !== undefined) msg.ref = ref;
  return client.request(msg, 'logs_ack');
}

// Asks for history and resolves with the `logs` answer that carries `history: true`; a large
// answer arrives in pages ("more": true on all but the last), merged here into one, whose
// `pages` says how many there were.
async function history(client, fields = {}, timeoutMs = DEFAULT_TIMEOUT_MS) {
  const isHistory = (m) => m.type === 'logs' && m.history === true;
  const first = await client.request({ type: 'request_history', ...fields }, isHistory, timeoutMs);
  const answer = { ...first, payload: [...first.payload], pages: 1 };
  for (let page = first; page.more === true; answer.pages++) {
    page = await client.next(isHistory, timeoutMs);
    answer.payload.push(...page.payload);
  }
  delete answer.more;
  return answer;
}

module.exports = {
  Client, connectAs, as, sendLogs, history, sha256hex, waitFor, TEST_TOML, DEFAULT_TIMEOUT_MS,
};
