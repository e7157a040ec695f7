// What this runtime can do beyond Node 20 (SO_REUSEPORT), found by trying it.
import { createServer, type Server } from 'node:net';

/**
 * What this runtime can do that not every supported Node line can, found by trying it, not
 * by reading version numbers (Bun and Deno report Node versions too).
 */
export interface RuntimeFeatures {
  /**
   * `listen({ reusePort: true })` (SO_REUSEPORT): several processes bind one TCP port and the
   * kernel spreads connections over them. Node 22.12+, 23.1+; Node 20 ignores the option.
   */
  reusePort: boolean;
}

let probed: Promise<RuntimeFeatures> | null = null;

/** The features, probed once per process (a few ms: two listens on a loopback port). */
export function runtimeFeatures(): Promise<RuntimeFeatures> {
  probed ??= probeReusePort().then((reusePort) => ({ reusePort }));
  return probed;
}

function listen(server: Server, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    // exclusive: in a cluster worker, bind here, not through the primary's shared handle
    server.listen(
      { port, host: '127.0.0.1', reusePort: true, exclusive: true } as Parameters<Server['listen']>[0],
      () => resolve(true),
    );
  });
}

/** Two sockets on one port, both with reusePort: only a runtime that sets SO_REUSEPORT binds the second. */
async function probeReusePort(): Promise<boolean> {
  const a = createServer();
  const b = createServer();
  try {
    if (!(await listen(a, 0))) return false;
    const port = (a.address() as { port: number }).port;
    return await listen(b, port);
  } finally {
    for (const s of [a, b]) if (s.listening) s.close();
  }
}
