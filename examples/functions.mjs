// Example RPC functions, served by `npm start`:
//   uwsgi-rpc serve --socket 127.0.0.1:3031 --import examples/functions.mjs
// then, for instance:
//   npx uwsgi-rpc call 127.0.0.1:3031 echo a b c      ->  a|b|c
//
// A module registers functions in either of two ways, both shown here: through its default
// export, which the server calls with itself, or with `register` imported from the package.
// Functions get their args as bytes (Uint8Array) with a string view (`arg.text`, `${arg}`)
// and return a string (sent as UTF-8) or bytes, or a Promise of either. Throwing, or an
// empty result, closes the connection without an answer, as uWSGI does.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { register } from 'uwsgi-rpc';

// Registered as this module loads, into the package's default registry (what `serve` uses).
register('version', () => `uwsgi-rpc on Node ${process.version}`);

export default (rpc) => {
  rpc.register('hello', () => 'Hello World');

  // The args joined with '|', byte for byte (binary args come back untouched).
  rpc.register('echo', (...args) => {
    const parts = [];
    args.forEach((arg, i) => {
      if (i > 0) parts.push(Buffer.from('|'));
      parts.push(arg);
    });
    return Buffer.concat(parts);
  });

  rpc.register('upper', (text) => text.text.toUpperCase());

  // The sum of decimal numbers; anything else is a failure (no answer).
  rpc.register('sum', (...numbers) => {
    let total = 0;
    for (const n of numbers) {
      const v = Number(n.text);
      if (n.length === 0 || !Number.isFinite(v)) throw new Error(`not a number: ${JSON.stringify(n.text)}`);
      total += v;
    }
    return String(total);
  });

  // A binary result: the 32-byte SHA-256 digest of the args, concatenated.
  rpc.register('sha256', (...args) => {
    const h = createHash('sha256');
    for (const a of args) h.update(a);
    return h.digest();
  });

  // An async function: answers after MS milliseconds (at most 10 s); other calls go on meanwhile.
  rpc.register('sleep', async (ms) => {
    const n = Math.min(Number(ms?.text ?? 100) || 0, 10_000);
    await sleep(n);
    return `slept ${n} ms`;
  });

  // For nginx `uwsgi_modifier2 1`: the result is a whole HTTP response that nginx relays.
  rpc.register('page', (...args) => {
    const body = `Hello from uwsgi-rpc${args.length ? `: ${args.join(' ')}` : ''}\n`;
    return `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  });
};
