// The Node runtime's limit for a uwsgi RPC server: no checks, no features, the bench's two
// functions (echo: args joined by '|'; big N: N bytes in the 64-bit form). node baselines/minimal-server.mjs PORT
import net from 'node:net';

const port = Number(process.argv[2] ?? 3032);

// 64-bit form: (173, dictlen, 5) + {CONTENT_LENGTH: n} + n bytes, a new buffer each call.
function big(n) {
  const len = String(n);
  const dict = 2 + 14 + 2 + len.length;
  const b = Buffer.alloc(4 + dict + n, 120);
  b[0] = 173;
  b.writeUInt16LE(dict, 1);
  b[3] = 5;
  b.writeUInt16LE(14, 4);
  b.write('CONTENT_LENGTH', 6, 'latin1');
  b.writeUInt16LE(len.length, 20);
  b.write(len, 22, 'latin1');
  return b;
}
net
  .createServer({ noDelay: true }, (sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      const answers = [];
      let off = 0;
      while (buf.length - off >= 4) {
        const size = buf.readUInt16LE(off + 1);
        if (buf.length - off < 4 + size) break;
        const items = [];
        let p = off + 4;
        const end = p + size;
        while (p < end) {
          const l = buf.readUInt16LE(p);
          p += 2;
          // latin1Slice: the undocumented Buffer method behind toString('latin1'), called directly
          if (l)
            items.push(
              /** @type {Buffer & { latin1Slice(start: number, end: number): string }} */ (buf).latin1Slice(p, p + l),
            );
          p += l;
        }
        if (items[0] === 'big') {
          answers.push(big(Number(items[1])));
          off = end;
          continue;
        }
        const out = items.slice(1).join('|');
        const head = Buffer.allocUnsafe(4);
        head[0] = 173;
        head.writeUInt16LE(out.length, 1);
        head[3] = 0;
        answers.push(head, Buffer.from(out, 'latin1'));
        off = end;
      }
      // All answers to one chunk in one write: what any Node server can do at the least.
      if (answers.length) sock.write(Buffer.concat(answers));
      buf = buf.subarray(off);
    });
    sock.on('error', () => {});
  })
  .listen(port, '127.0.0.1', () => console.log(`minimal server on 127.0.0.1:${port}`));

// The bench sends SIGUSR2 before it reads RSS "after each round" (started with --expose-gc): retained memory, not garbage not yet collected.
process.on('SIGUSR2', () => globalThis.gc?.());
