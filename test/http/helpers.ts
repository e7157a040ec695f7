import { varsFromHttp } from '../../src/http/http-vars.js';
import type { RequestVars } from '../../src/http/request-vars.js';
import { rpcTarget } from '../../src/dispatch/target.js';
import type { RpcTarget } from '../../src/http/rpc-target.js';
import { Registry } from '../../src/functions/registry.js';
// a plain .mjs fixture, shared with `uwsgi-rpc serve --import`
import registerTestFunctions from './fixtures/rpc_funcs.mjs';

/** The test functions (fixtures/rpc_funcs.mjs; uWSGI loads the same in fixtures/rpc_funcs.py). */
export function testRegistry(): Registry {
  const r = new Registry();
  registerTestFunctions(r);
  return r;
}

export function testTarget(registry = testRegistry()): RpcTarget {
  return rpcTarget(registry);
}

/** Vars for a GET as uWSGI's HTTP socket builds them, from a raw target and header pairs. */
export function httpVars(target: string, headers: [string, string][] = [], method = 'GET'): RequestVars {
  return varsFromHttp(
    { method, url: target, httpVersion: '1.1', rawHeaders: headers.flat() },
    { remoteAddress: '127.0.0.1', remotePort: 40000, serverName: 'testhost', serverPort: 9090 },
  );
}

export const latin1 = (b: Uint8Array) => String.fromCharCode(...b);

/** Collects log lines. */
export function logLines(): { lines: string[]; log: (l: string) => void } {
  const lines: string[] = [];
  return { lines, log: (l) => lines.push(l) };
}
