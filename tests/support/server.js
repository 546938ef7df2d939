// Starts the real smartlogd on a free loopback port and stops it again.
// Used by the Node integration and browser tests; the C++ tests have their own twin.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const binary = process.env.SMARTLOG_BIN ||
  path.resolve(__dirname, '../../build/debug/app/smartlogd');

// Writes `toml` to a fresh temp dir and returns the config path (or null for open mode).
function writeConfig(toml) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smartlog-test-'));
  if (toml === undefined) return { dir, file: null };
  const file = path.join(dir, 'smartlog.toml');
  fs.writeFileSync(file, toml);
  return { dir, file };
}

// Resolves to {port, url, wsUrl, dataDir, proc, stop(), output()} once smartlogd prints its
// address (https:// and wss:// when it was given tls_cert and tls_key). `dataDir`: reuse a
// previous server's (a restart); else a fresh one. `launcher`: a command that execs the binary
// with the arguments after it (e.g. `['sh', '-c', 'ulimit -n 64 && exec "$0" "$@"']`).
async function startServer({ toml, args = [], env = {}, timeoutMs = 10000, dataDir, launcher = [] } = {}) {
  const { dir, file } = writeConfig(toml);
  const data = dataDir || path.join(dir, 'data');
  const argv = ['--listen', '127.0.0.1:0', '--data-dir', data];
  if (file) argv.push('--config', file);
  argv.push(...args);
  const [command, ...commandArgs] = [...launcher, binary, ...argv];
  const proc = spawn(command, commandArgs, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let tls = false;
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`smartlogd did not start:\n${output}`)), timeoutMs);
    const onData = (chunk) => {
      output += chunk.toString();
      const m = output.match(/listening on (https?):\/\/127\.0\.0\.1:(\d+)\//);
      if (m) { clearTimeout(timer); tls = m[1] === 'https'; resolve(Number(m[2])); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`smartlogd exited ${code}:\n${output}`)); });
  });
  proc.removeAllListeners('exit');
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    port,
    dir,
    dataDir: data,
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/`,
    wsUrl: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/`,
    proc,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

module.exports = { startServer, binary };
