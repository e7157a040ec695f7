// What users would write instead of an RPC protocol: node:http with a JSON body {a, b},
// answering a|b (the bench's echo), keep-alive. node baselines/http-json-server.mjs PORT
import http from 'node:http';

const port = Number(process.argv[2] ?? 3033);
http
  .createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const { a, b } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const out = `${a}|${b}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`node:http JSON on 127.0.0.1:${port}`));

// The bench sends SIGUSR2 before it reads RSS "after each round" (started with --expose-gc): retained memory, not garbage not yet collected.
process.on('SIGUSR2', () => globalThis.gc?.());
