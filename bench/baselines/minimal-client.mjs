// The Node runtime's limit for a uwsgi RPC client: no checks, no features. Drives CONC concurrent
// echo calls for SECS seconds, a new connection per call (percall) or one kept per worker (keepalive).
//   node baselines/minimal-client.mjs percall|keepalive HOST:PORT CONC SECS  -> one JSON line
import net from 'node:net';

const [mode, node, conc, secs] = process.argv.slice(2);
const [host, port] = [node.slice(0, node.lastIndexOf(':')), Number(node.slice(node.lastIndexOf(':') + 1))];

// modifier1 173, u16 size, modifier2 0, then u16-length-prefixed items: 'echo', 'aaa', 'bbbbb'
function request(items) {
  const body = Buffer.concat(
    items.map((s) => {
      const b = Buffer.alloc(2 + s.length);
      b.writeUInt16LE(s.length);
      b.write(s, 2, 'latin1');
      return b;
    }),
  );
  const head = Buffer.from([173, 0, 0, 0]);
  head.writeUInt16LE(body.length, 1);
  return Buffer.concat([head, body]);
}
// keepalive: the first item is empty, the keep-open mark that our own client puts on a kept
// connection's first call (uWSGI skips it; uwsgi-rpc would otherwise end a connection whose
// first request comes alone, as uWSGI does). Every call carries it: one buffer, no branch.
const req = request(mode === 'keepalive' ? ['', 'echo', 'aaa', 'bbbbb'] : ['echo', 'aaa', 'bbbbb']);
const deadline = performance.now() + Number(secs) * 1000;
let calls = 0,
  errors = 0;

// Resolves with the answer's body once header + body are in (no 64-bit form: echo is small).
function answer(sock) {
  return new Promise((resolve, reject) => {
    let buf = null;
    const onData = (d) => {
      buf = buf ? Buffer.concat([buf, d]) : d;
      if (buf.length >= 4 && buf.length >= 4 + buf.readUInt16LE(1)) {
        done();
        resolve(buf.subarray(4));
      }
    };
    const onEnd = () => {
      done();
      reject(new Error('closed'));
    };
    const done = () => {
      sock.off('data', onData);
      sock.off('close', onEnd);
      sock.off('error', onEnd);
    };
    sock.on('data', onData);
    sock.on('close', onEnd);
    sock.on('error', onEnd);
  });
}
const connect = () =>
  new Promise((resolve, reject) => {
    const s = net.connect({ host, port, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });

async function perCall() {
  while (performance.now() < deadline) {
    try {
      const s = await connect();
      const p = answer(s);
      s.write(req);
      await p;
      s.destroy();
      calls++;
    } catch {
      errors++;
    }
  }
}
async function keepAlive() {
  let s = null;
  while (performance.now() < deadline) {
    try {
      s ??= await connect();
      const p = answer(s);
      s.write(req);
      await p;
      calls++;
    } catch {
      errors++;
      s?.destroy();
      s = null;
    }
  }
  s?.destroy();
}
const t0 = performance.now();
await Promise.all(Array.from({ length: Number(conc) }, () => (mode === 'keepalive' ? keepAlive() : perCall())));
const elapsed = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ calls, errors, secs: elapsed, rate: calls / elapsed }));
