// Which pages may open a gateway WebSocket (the Origin check).
import type { IncomingMessage } from 'node:http';

/**
 * May this handshake go on? Browsers always send Origin on WebSocket handshakes, so a
 * missing one is a non-browser client, which an origin check cannot constrain anyway.
 * Pages served by the gateway itself (the demo page) are always allowed; other origins
 * only when listed ('*': any).
 */
export function originAllowed(req: IncomingMessage, allowed: readonly string[] | undefined): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    if (new URL(origin).host === req.headers.host) return true;
  } catch {
    return false;
  }
  return allowed !== undefined && (allowed.includes('*') || allowed.includes(origin));
}
