// prom-client, loaded on first use: it takes ~10 MB of RSS, which a server whose metrics are
// never asked for should not pay (idle RSS is one of the performance targets).
import { createRequire } from 'node:module';

let loaded: typeof import('prom-client') | null = null;

export function promClient(): typeof import('prom-client') {
  loaded ??= createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  return loaded;
}
