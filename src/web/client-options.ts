// RpcWebSocketClient's options and their defaults.
import type { Codec } from '../codec/codec.js';
import type { WebSocketConstructor } from './websocket-like.js';

export interface WebClientOptions {
  /** ms for a whole call, from call() to its answer; 0 or Infinity: none. Default DEFAULT_WEB_TIMEOUT. */
  timeout?: number;
  /**
   * Reconnect after the connection drops, while calls wait to be sent: the first retry after
   * `initialDelay` ms, doubling up to `maxDelay`. false: a dropped connection fails waiting
   * calls. An idle client reconnects on its next call either way.
   */
  reconnect?: false | { initialDelay?: number; maxDelay?: number };
  /** A codec (default the TS codec: encoding single packets is what TS is fastest at). */
  codec?: Codec;
  /** The WebSocket class (default the global one; in Node 20 pass `WebSocket` from 'ws'). */
  WebSocket?: WebSocketConstructor;
}

export interface WebCallOptions {
  signal?: AbortSignal;
  /** ms for this call, overriding the client's. */
  timeout?: number;
}

/** Above the gateway's own 4 s forwarding timeout, so its TIMEOUT answer comes first. */
export const DEFAULT_WEB_TIMEOUT = 10_000;
export const DEFAULT_RECONNECT = { initialDelay: 250, maxDelay: 5_000 } as const;
