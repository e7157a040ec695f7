// Which RPC bridge an HTTP request takes (its packet's modifier2), apart from the dispatcher so
// that the uwsgi socket can tell an HTTP hand-off's needs without loading the bridges.

/** 0: routes only; 2: PATH_INFO; 3: XML-RPC; 4: JSON-RPC (uWSGI's modifier2 values). */
export type Bridge = 0 | 2 | 3 | 4;

export function isBridge(n: number): n is Bridge {
  return n === 0 || n === 2 || n === 3 || n === 4;
}

/** XML-RPC and JSON-RPC read the request body; the others answer from the vars alone. */
export function needsBody(bridge: Bridge): boolean {
  return bridge === 3 || bridge === 4;
}

/** Most request body the XML-RPC and JSON-RPC bridges read by default (bytes; more gets 413). */
export const DEFAULT_MAX_BODY = 1 << 20;
