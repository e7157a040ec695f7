// Example RPC functions, served by `npm start`:
//   npx uwsgi-rpc serve --socket 127.0.0.1:3031 --import examples/functions.mjs
// then, for instance:
//   npx uwsgi-rpc call 127.0.0.1:3031 echo a b c      ->  a|b|c
//
// A module registers functions in either of two ways, both shown here: through its default
// export, which the server calls with itself, or with `register` imported from the package.
// Functions get their args as bytes (Uint8Array) with a string view (`arg.text`, `${arg}`)
// and return a string (sent as UTF-8) or bytes, or a Promise of either. Throwing, or an
// empty result, closes the connection without an answer, as uWSGI does; the server logs the
// error's message, so each function here checks its args and says what is wrong.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { register } from 'uwsgi-rpc';

/**
 * Throws unless `args` holds `min`..`max` items, naming the function and what it takes
 * (`what`, e.g. 'the text'), since the caller only sees the connection close.
 */
function checkCount(name, args, min, max, what = '') {
  if (args.length >= min && args.length <= max) return;
  const plural = (n) => `${n} argument${n === 1 ? '' : 's'}`;
  const takes =
    max === 0
      ? 'takes no arguments'
      : min === max
        ? `needs ${plural(min)}`
        : max === Infinity
          ? `needs at least ${plural(min)}`
          : min === 0
            ? `takes at most ${plural(max)}`
            : `needs ${min} to ${max} arguments`;
  throw new Error(`${name}: ${takes}${what ? ` (${what})` : ''}, got ${args.length}`);
}

// Registered as this module loads, into the package's default registry (what `serve` uses).
register('version', (...args) => {
  checkCount('version', args, 0, 0);
  return `uwsgi-rpc on Node ${process.version}`;
});

export default (rpc) => {
  rpc.register('hello', (...args) => {
    checkCount('hello', args, 0, 0);
    return 'Hello World';
  });

  // The args joined with '|', byte for byte (binary args come back untouched). No args would
  // be an empty result: no answer at all.
  rpc.register('echo', (...args) => {
    checkCount('echo', args, 1, Infinity, 'the texts to join');
    const parts = [];
    args.forEach((arg, i) => {
      if (i > 0) parts.push(Buffer.from('|'));
      parts.push(arg);
    });
    return Buffer.concat(parts);
  });

  rpc.register('upper', (...args) => {
    checkCount('upper', args, 1, 1, 'the text');
    return args[0].text.toUpperCase();
  });

  // The sum of decimal numbers; anything else is a failure (no answer).
  rpc.register('sum', (...numbers) => {
    let total = 0;
    for (const n of numbers) {
      const v = Number(n.text);
      if (n.length === 0 || !Number.isFinite(v)) throw new Error(`sum: ${JSON.stringify(n.text)} is not a number`);
      total += v;
    }
    return String(total);
  });

  // A binary result: the 32-byte SHA-256 digest of the args, concatenated (any args, none too).
  rpc.register('sha256', (...args) => {
    const h = createHash('sha256');
    for (const a of args) h.update(a);
    return h.digest();
  });

  // An async function: answers after MS milliseconds (default 100, at most 10 s); other calls
  // go on meanwhile.
  rpc.register('sleep', async (...args) => {
    checkCount('sleep', args, 0, 1, 'MS');
    const text = args[0]?.text ?? '100';
    const n = Number(text);
    if (!/^\d+$/.test(text) || n > 10_000)
      throw new Error(`sleep: MS is a whole number 0..10000, got ${JSON.stringify(text)}`);
    await sleep(n);
    return `slept ${n} ms`;
  });

  // For nginx `uwsgi_modifier2 1`: the result is a whole HTTP response that nginx relays (any args).
  rpc.register('page', (...args) => {
    const body = `Hello from uwsgi-rpc${args.length ? `: ${args.join(' ')}` : ''}\n`;
    return `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  });
};
