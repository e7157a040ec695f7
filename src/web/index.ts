// Universal WebSocket client for the gateway (no node:*): browsers, Deno, Bun, workers.
export { RpcWebSocketClient, type CallDetail, type WebClientState } from './rpc-websocket-client.js';
export { type WebClientOptions, type WebCallOptions, DEFAULT_WEB_TIMEOUT, DEFAULT_RECONNECT } from './client-options.js';
export { parseErrorFrame, errorFrame, type ErrorFrame } from './error-frame.js';
export type { WebSocketLike, WebSocketConstructor } from './websocket-like.js';
export { RpcError, type RpcErrorCode } from '../rpc-error.js';
