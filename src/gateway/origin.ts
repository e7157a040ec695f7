import type { IncomingMessage } from 'node:http';

/**
 * May this handshake go on? Browsers always send Origin on WebSocket handshakes, so a
 * missing one is a non-browser client, which an origin check cannot constrain anyway.
 * Without an allow-list only pages served by the gateway itself may connect.
 */
export function originAllowed(req: IncomingMessage, allowed: readonly string[] | undefined): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed === undefined || allowed.length === 0) {
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }
  return allowed.includes('*') || allowed.includes(origin);
}
