// Typed functions, served by `npm start` (beside examples/functions.mjs):
//   npx uwsgi-rpc serve --socket 127.0.0.1:3031 --import examples/typed-functions.mjs
// The wire stays plain uWSGI RPC: any uWSGI node calls them with binary strings,
//   uwsgi.rpc('127.0.0.1:3031', b'add', b'2', b'3')   ->  b'5'
//   npx uwsgi-rpc call 127.0.0.1:3031 add 2 3          ->  5
// and gets no answer (the server logs why) when an arg does not fit its type.
import { defineFunctions, t } from 'uwsgi-rpc';
import { z } from 'zod';

/** Any Standard Schema types a JSON arg (zod here; valibot and arktype work the same). */
const samples = z.array(z.number()).min(1);

export const math = defineFunctions({
  add: { args: [t.int(), t.int()], result: t.int(), doc: 'Adds two integers', run: (a, b) => a + b },
  greet: {
    args: [t.string(), t.optional(t.int())],
    result: t.string(),
    doc: 'Greets someone, `times` times (1 if left out)',
    run: (name, times = 1) => Array.from({ length: times }, () => `Hello ${name}!`).join(' '),
  },
  stats: {
    args: [t.json(samples)],
    result: t.json(),
    doc: 'Count and mean of a non-empty array of numbers',
    run: (values) => ({ count: values.length, mean: values.reduce((s, x) => s + x, 0) / values.length }),
  },
  isEven: { args: [t.bigint()], result: t.bool(), doc: 'Whether a 64-bit integer is even', run: (n) => n % 2n === 0n },
  scale: { args: [t.number(), t.number()], result: t.number(), doc: 'x times factor', run: (x, factor) => x * factor },
  shout: {
    args: [t.string(), t.enum(['upper', 'lower'])],
    result: t.string(),
    doc: 'Changes the case of a text',
    run: (s, how) => (how === 'upper' ? s.toUpperCase() : s.toLowerCase()),
  },
  checksum: {
    args: [t.bytes()],
    result: t.int(),
    doc: 'The sum of the bytes of a binary string, mod 65536',
    run: (b) => b.reduce((s, x) => (s + x) % 65536, 0),
  },
});

/** `serve --import` calls this with the server: register the whole catalog (and rpc.discover with it). */
export default (rpc) => rpc.register(math);

// Run directly (`node examples/typed-functions.mjs`, after `npm run build`), it shows the rest on a node of
// its own: the typed client, rpc.discover, and the JSON-RPC and XML-RPC bridges.
if (
  process.argv[1] !== undefined &&
  import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href
) {
  const { RpcClient, RpcServer, Registry } = await import('uwsgi-rpc');
  const server = new RpcServer({
    registry: new Registry().register(math),
    log: (line) => console.log(`  log: ${line}`),
  });
  const node = await server.listen('127.0.0.1:0');
  const json = await server.listenHttp('127.0.0.1:0', { modifier1: 173, modifier2: 4 });
  const xml = await server.listenHttp('127.0.0.1:0', { modifier1: 173, modifier2: 3 });
  const client = new RpcClient();
  try {
    const api = client.bind(node, math);
    console.log('typed client: add(2, 3) =', await api.add(2, 3));
    console.log('typed client: stats([1, 2, 6]) =', await api.stats([1, 2, 6]));
    await api.add(2, 'x').catch((err) => console.log(`typed client: add(2, 'x') -> ${err.code}: ${err.message}`));
    console.log('plain bytes, as any uWSGI node sends them: add 2 3 ->', await client.rpcText(node, 'add', '2', '3'));
    await client.rpc(node, 'add', '2', 'x').catch((err) => console.log(`plain bytes: add 2 x -> ${err.code}`));
    const discovered = client.bind(node, await client.discover(node));
    console.log('from rpc.discover: isEven(10n) =', await discovered.isEven(10n));
    const post = (body) =>
      fetch(`http://${json}/`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
    console.log(
      'JSON-RPC add [2, 3] ->',
      JSON.stringify(await post({ jsonrpc: '2.0', method: 'add', params: [2, 3], id: 1 })),
    );
    console.log(
      'JSON-RPC add [2, "x"] ->',
      JSON.stringify(await post({ jsonrpc: '2.0', method: 'add', params: [2, 'x'], id: 2 })),
    );
    const call = `<?xml version="1.0"?><methodCall><methodName>system.methodSignature</methodName><params><param><value>add</value></param></params></methodCall>`;
    console.log(
      'XML-RPC system.methodSignature add ->',
      (await (await fetch(`http://${xml}/`, { method: 'POST', body: call })).text()).replace(/\s+/g, ''),
    );
  } finally {
    await client.close();
    await server.close();
  }
}
