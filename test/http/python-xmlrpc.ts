import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const script = join(__dirname, 'fixtures', 'xmlrpc_codec.py');

/** xmlrpc.client.dumps(params, method): what Python's XML-RPC client sends. */
export function pyDumps(method: string, params: unknown[]): Buffer {
  return execFileSync('python3', [script], { input: JSON.stringify({ dumps: { method, params } }) });
}

/** xmlrpc.client.loads(xml): what Python's XML-RPC client makes of an answer. */
export function pyLoads(xml: Uint8Array): { result?: unknown; fault?: [number, string] } {
  return JSON.parse(
    execFileSync('python3', [script], {
      input: JSON.stringify({ loads: Buffer.from(xml).toString('latin1') }),
    }).toString(),
  );
}
