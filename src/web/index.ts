// `uwsgi-rpc/web`: the WebSocket client pages use to call RPC functions through the gateway
// (`serve --ws-socket`). Runtime-neutral: browsers, Deno, Bun, workers, Node 22+.
export { RpcWebSocketClient, type CallDetail, type WebClientState } from './rpc-websocket-client.js';
export type { WebClientOptions, WebCallOptions } from './client-options.js';
export type { WebSocketLike, WebSocketConstructor } from './websocket-like.js';
export { RpcError, type RpcErrorCode } from '../rpc-error.js';
