// The part of a WebSocket the web client uses, so any runtime's (or ws's) will do.
/**
 * What RpcWebSocketClient needs of a WebSocket: the browser's (and Deno's, Bun's, Node 22's)
 * global WebSocket has it, and so does the `ws` package's class in Node 20.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;
