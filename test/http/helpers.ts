import { varsFromHttp } from '../../src/http/http-vars.js';
import type { RequestVars } from '../../src/http/request-vars.js';
import { type RpcTarget, rpcTarget } from '../../src/http/rpc-target.js';
import { Registry } from '../../src/server/registry.js';
import type { TextBytes } from '../../src/codec/text-bytes.js';

/**
 * The test functions, the same as test/http/fixtures/rpc_funcs.py registers in uWSGI
 * (the differential suite runs both).
 */
export function testRegistry(): Registry {
  const r = new Registry();
  const join = (args: TextBytes[]) => {
    const out: number[] = [];
    args.forEach((a, i) => {
      if (i > 0) out.push(0x7c);
      out.push(...a);
    });
    return new Uint8Array(out);
  };
  r.register('hello', () => 'Hello World');
  r.register('echo', (...args) => join(args));
  r.register('show', (...args) => `[${args.map((a) => a.text).join('][')}]`);
  r.register('empty', () => '');
  r.register('ret', (...args) => (args.length > 0 ? args[0] : 'next'));
  r.register('binary', () => new Uint8Array([0xff, 0x00, 0xfe]));
  r.register('raw', () => 'HTTP/1.1 201 Created\r\nX-A: b\r\nContent-Type: text/x\r\n\r\nbody!');
  r.register('rawbad', () => 'HTTP/1.1 201 Created\r\nX-A: b\r\nBadHeader\r\n\r\nbody!');
  r.register('rawnohead', () => 'HTTP/1.1 202\r\n\r\n');
  r.register('rawlf', () => 'HTTP/1.1 202 OK\nX: y\n\nbody');
  r.register('fail', () => {
    throw new Error('it failed');
  });
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
