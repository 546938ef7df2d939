// Starts a throwaway redis-server on a free loopback port for the cluster tests
// (docs/cluster.md): no persistence unless asked for, killed at the end.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const net = require('node:net');

function redisInstalled() {
  const r = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Resolves to {port, url, password, proc, stop(signal), output()} once Redis accepts connections.
// `dir`: where Redis keeps its files; `persist`: 'aof' (every write fsynced before its reply, as
// `appendfsync always` promises) or 'rdb' (only the snapshots the test makes with SAVE); without
// it, nothing is kept.
async function startRedis({ port, password, dir, persist, timeoutMs = 10000 } = {}) {
  port = port || await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', persist === 'aof' ? 'yes' : 'no', '--daemonize', 'no', '--logfile', ''];
  if (persist === 'aof') args.push('--appendfsync', 'always');
  if (dir) args.push('--dir', dir);
  if (password) args.push('--requirepass', password);
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), timeoutMs);
    const onData = (chunk) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) { clearTimeout(timer); resolve(); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited ${code}:\n${output}`)); });
  });
  proc.removeAllListeners('exit');
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    port,
    password,
    url: `redis://${password ? `:${password}@` : ''}127.0.0.1:${port}`,
    proc,
    output: () => output,
    async stop(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

// Sends one command to the Redis on `port` (after AUTH with `password` when given) and resolves
// with its reply, parsed as far as the tests need: a bulk string, an integer, a status, or an
// array of them.
function redisCommand(port, args, password) {
  // Arguments are strings or Buffers (binary payloads).
  const encode = (list) => Buffer.concat([Buffer.from(`*${list.length}\r\n`), ...list.map((a) => {
    const bytes = Buffer.isBuffer(a) ? a : Buffer.from(a);
    return Buffer.concat([Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n')]);
  })]);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      let parsed = parseReply(data, 0);
      if (parsed && password) parsed = parseReply(data, parsed.next);
      if (parsed) { socket.end(); resolve(parsed.value); }
    });
    socket.write(Buffer.concat([password ? encode(['AUTH', password]) : Buffer.alloc(0), encode(args)]));
  });
}

function parseReply(buf, at) {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const kind = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, eol);
  if (kind === '+' || kind === '-') return { value: line, next: eol + 2 };
  if (kind === ':') return { value: Number(line), next: eol + 2 };
  if (kind === '$') {
    const n = Number(line);
    if (n < 0) return { value: null, next: eol + 2 };
    if (buf.length < eol + 2 + n + 2) return null;
    return { value: buf.toString('utf8', eol + 2, eol + 2 + n), next: eol + 2 + n + 2 };
  }
  if (kind === '*') {
    const out = [];
    let next = eol + 2;
    for (let i = 0; i < Number(line); i++) {
      const item = parseReply(buf, next);
      if (!item) return null;
      out.push(item.value);
      next = item.next;
    }
    return { value: out, next };
  }
  throw new Error(`unexpected reply ${kind}${line}`);
}

module.exports = { startRedis, redisInstalled, freePort, redisCommand };
