// Row 15: protocol violations at the WebSocket layer. RFC 6455 5.2: a 64-bit payload length
// must have its most significant bit 0; the server must fail the connection (close 1002).
// RFC 6455 4.2.1: Sec-WebSocket-Key is the base64 of 16 bytes; an upgrade without a valid one
// is answered 400.
'use strict';
const { startServer, rawUpgrade, timedFetch } = require('../lib');

// Waits up to `ms` for the server to close: resolves with what it saw.
function awaitClose(socket, rest, ms) {
  return new Promise((resolve) => {
    let buf = rest;
    const done = (what) => { clearTimeout(timer); socket.removeAllListeners('data'); resolve(what); };
    const timer = setTimeout(() => done(`nothing within ${ms} ms (connection still open)`), ms);
    const look = () => {
      // Server frames are unmasked; find a close frame (opcode 8) among them.
      let i = 0;
      while (i + 2 <= buf.length) {
        const opcode = buf[i] & 0x0f;
        let len = buf[i + 1] & 0x7f, off = 2;
        if (len === 126) { len = buf.readUInt16BE(i + 2); off = 4; } else if (len === 127) { len = Number(buf.readBigUInt64BE(i + 2)); off = 10; }
        if (i + off + len > buf.length) break;
        if (opcode === 8) return done(`close frame ${len >= 2 ? buf.readUInt16BE(i + off) : '(no code)'} "${buf.subarray(i + off + 2, i + off + len)}"`);
        i += off + len;
      }
      return null;
    };
    socket.on('data', (chunk) => { buf = Buffer.concat([buf, chunk]); look(); });
    socket.on('close', () => done('TCP closed without a close frame'));
    socket.on('error', () => {});
    socket.resume();
    look();
  });
}

async function run(t) {
  const server = await startServer({ args: ['--durability', 'memory'] });
  try {
    const c = await rawUpgrade(server.port);
    if (c.status !== 101) throw new Error(`upgrade answered ${c.status}`);
    const header = Buffer.from([0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0]);
    c.socket.write(Buffer.concat([header, Buffer.from('x'.repeat(16))]));
    const seen = await awaitClose(c.socket, c.rest, 3000);
    t.record('text frame with 64-bit length 0x8000000000000010', seen, !seen.startsWith('nothing'));
    c.socket.destroy();
    const health = await timedFetch(`${server.url}healthz`, {}, 5000).catch((e) => ({ status: e.name }));
    t.record('server still answers /healthz', health.status, health.status === 200);

    const outcomes = [];
    for (const [label, key] of [['empty Sec-WebSocket-Key', ''], ['short Sec-WebSocket-Key "abc"', 'abc'], ['no Sec-WebSocket-Key', null]]) {
      const u = await rawUpgrade(server.port, { key, timeoutMs: 3000 });
      u.socket.destroy();
      t.record(`upgrade with ${label}: status (400 expected)`, u.status, u.status === 400);
      outcomes.push(`${label.replace(' Sec-WebSocket-Key', ' key')}: ${u.status}`);
    }
    t.headline(`top-bit length: ${seen}; ${outcomes.join(', ')}`);
  } finally {
    await server.stop('SIGKILL');
  }
}

module.exports = {
  row: 15, name: 'frames', title: 'a frame whose 64-bit length has its top bit set; upgrades with an empty, short or missing key',
  bound: 'the frame fails the connection within 3 s; each bad upgrade answered 400', budgetMs: 30000, run,
};
