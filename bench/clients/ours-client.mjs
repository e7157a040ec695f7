// Our RpcClient driving CONC concurrent echo calls for SECS seconds, connection per call or keep-alive; with CA (a
// PEM file), NODE is suwsgi://HOST:PORT and the node's certificate is checked against it.
//   node clients/ours-client.mjs percall|keepalive NODE CONC SECS [CA]  -> one JSON line
import { readFileSync } from 'node:fs';
import { RpcClient } from '../../dist/src/index.js';

const [mode, node, conc, secs, ca] = process.argv.slice(2);
const client = new RpcClient({
  keepAlive: mode === 'keepalive',
  ...(ca ? { tls: { ca: readFileSync(ca, 'utf8') } } : {}),
});
const deadline = performance.now() + Number(secs) * 1000;
let calls = 0,
  errors = 0;
async function worker() {
  while (performance.now() < deadline) {
    try {
      await client.call(node, 'echo', ['aaa', 'bbbbb']);
      calls++;
    } catch {
      errors++;
    }
  }
}
const t0 = performance.now();
await Promise.all(Array.from({ length: Number(conc) }, worker));
const elapsed = (performance.now() - t0) / 1000;
await client.close?.();
console.log(JSON.stringify({ calls, errors, secs: elapsed, rate: calls / elapsed }));
