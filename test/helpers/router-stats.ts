// uWSGI's corerouters (rawrouter, fastrouter, http) as their stats servers report them, for
// tests on loopback; test/helpers/rawrouter.mjs reads the same document inside a netns lab.
import { connect } from 'node:net';

export interface RouterNode {
  name: string;
  modifier1: number;
  modifier2: number;
  cores: number;
  weight: number;
  requests: number;
  death_mark: number;
}
export interface RouterStats {
  pid: number;
  subscriptions: { key: string; nodes: RouterNode[] }[];
}

/** The stats server at `address` (HOST:PORT) writes one JSON document to each connection, then closes. */
export function routerStats(address: string): Promise<RouterStats> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const s = connect(Number(address.slice(i + 1)), address.slice(0, i));
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('error', reject);
    s.once('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString()) as RouterStats);
      } catch (err) {
        reject(err);
      }
    });
  });
}

/**
 * Calls `f` until `done(value)` (subscriptions are UDP: there is nothing to wait on but what
 * the router reports); throws after `timeoutMs` with the last value seen.
 */
export async function eventually<T>(
  what: string,
  f: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
