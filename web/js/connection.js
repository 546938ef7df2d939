// One viewer connection to smartlogd: opens the socket, authenticates, and reconnects with
// exponential backoff and jitter, re-authenticating by itself (seed section 7).

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30000;
const AUTH_TIMEOUT_MS = 10000;
// The server pings at the WebSocket level, which scripts cannot see; an application ping tells
// a dead peer (no close frame, e.g. a dropped proxy) from a quiet one.
const HEARTBEAT_MS = 20000;
const SILENCE_LIMIT_MS = 2 * HEARTBEAT_MS + 5000;

// ws(s)://host/<directory of the page>/ws, so the page also works behind a proxy at a sub-path.
export function defaultServerUrl(loc = window.location) {
  const url = new URL('ws', loc.href);
  url.protocol = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  return url.href;
}

// "Equal jitter" (half fixed, half random): spreads a crowd of dashboards reconnecting after a
// server restart, yet never retries sooner than half the nominal delay.
export function backoffDelay(attempt) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

// States reported to onState: idle, connecting, authenticating, live, waiting (a reconnect is
// scheduled; detail {delayMs, attempt, reason, serverReason}), rejected (auth_error; no retry).
export class Connection {
  constructor({ onState, onAuthenticated, onAuthError, onMessage }) {
    this.handlers = { onState, onAuthenticated, onAuthError, onMessage };
    this.ws = null;
    this.url = '';
    this.credentials = null;
    this.state = 'idle';
    this.attempt = 0;
    this.authenticatedOnce = false;
    this.reconnectTimer = 0;
    this.authTimer = 0;
    this.heartbeatTimer = 0;
    this.lastReceived = 0;
  }

  // Connects to `url` as `credentials` ({userId, appId, token?}), dropping any previous session.
  start(url, credentials) {
    this.stop();
    this.url = url;
    this.credentials = credentials;
    this.authenticatedOnce = false;
    this.attempt = 0;
    this.open();
  }

  stop() {
    this.credentials = null;
    this.clearTimers();
    this.detach(1000, 'signed out');
    this.setState('idle');
  }

  // Skips the backoff wait (a "retry now" button, the browser coming back online).
  retryNow() {
    if (this.state !== 'waiting') return;
    clearTimeout(this.reconnectTimer);
    this.open();
  }

  get live() { return this.state === 'live'; }

  // Sends `message` if authenticated; returns whether it was sent.
  send(message) {
    if (!this.live || !this.ws) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  open() {
    this.setState('connecting', { attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.scheduleReconnect(String(err.message || err));
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.lastReceived = Date.now();
      this.setState('authenticating');
      const { userId, appId, token } = this.credentials;
      const data = { userId, appId, mode: 'viewer' };
      if (token) data.token = token;
      ws.send(JSON.stringify({ type: 'auth', data }));
      this.authTimer = setTimeout(() => this.drop('no answer to auth'), AUTH_TIMEOUT_MS);
    };
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.clearTimers();
      if (!this.credentials || this.state === 'rejected') return;
      this.scheduleReconnect(closeReason(event), event.reason);
    };
    // An error is always followed by close, which does the work.
    ws.onerror = () => {};
  }

  receive(text) {
    this.lastReceived = Date.now();
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!message || typeof message.type !== 'string') return;
    switch (message.type) {
      case 'auth_success': {
        clearTimeout(this.authTimer);
        const resumed = this.authenticatedOnce;
        this.authenticatedOnce = true;
        this.attempt = 0;
        this.setState('live');
        this.startHeartbeat();
        this.handlers.onAuthenticated(message.payload || {}, resumed);
        return;
      }
      case 'auth_error':
        // Only our own auth is answered this way; retrying the same credentials cannot help.
        clearTimeout(this.authTimer);
        this.setState('rejected');
        this.detach(1000, 'auth refused');
        this.handlers.onAuthError(message.payload || {}, this.authenticatedOnce);
        return;
      case 'pong':
        return;
      default:
        this.handlers.onMessage(message);
    }
  }

  startHeartbeat() {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => {
      if (Date.now() - this.lastReceived > SILENCE_LIMIT_MS) {
        this.drop('server silent');
        return;
      }
      this.send({ type: 'ping' });
    }, HEARTBEAT_MS);
  }

  // Closes a socket that looks dead and reconnects without waiting for TCP to notice.
  drop(reason) {
    this.detach(4000, reason);
    this.clearTimers();
    this.scheduleReconnect(reason);
  }

  // `serverReason`: the close frame's own words, when the server said why (docs/protocol.md).
  scheduleReconnect(reason, serverReason = '') {
    const delayMs = backoffDelay(this.attempt);
    this.setState('waiting', { delayMs, attempt: this.attempt + 1, reason, serverReason });
    this.attempt++;
    this.reconnectTimer = setTimeout(() => this.open(), delayMs);
  }

  detach(code, reason) {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
      ws.close(code, reason);
    }
  }

  clearTimers() {
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.authTimer);
    clearInterval(this.heartbeatTimer);
  }

  setState(state, detail = {}) {
    this.state = state;
    this.handlers.onState(state, detail);
  }
}

const CLOSE_REASONS = {
  1001: 'server going away',
  1006: 'connection lost',
  1008: 'closed by policy',
  1009: 'message too large',
  1011: 'server error',
  1013: 'server busy',
};

function closeReason(event) {
  const known = CLOSE_REASONS[event.code] || `closed (${event.code})`;
  return event.reason ? `${known}: ${event.reason}` : known;
}
