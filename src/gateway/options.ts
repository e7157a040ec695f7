// Every RpcGateway option: declared, defaulted (DEFAULT_*) and checked in resolveGatewayOptions().
import type { Codec } from '../codec/codec.js';
import { MAX_BODY } from '../codec/constants.js';
import type { RpcClient } from '../client/client.js';
import type { Registry } from '../functions/registry.js';
import { RpcError } from '../rpc-error.js';

export interface GatewayOptions {
  /** Where plain names are looked up first. */
  registry: Registry;
  /**
   * Nodes the gateway may forward to (host:port, unix socket...). `func@node` is accepted only
   * for these (a page must not make the gateway connect anywhere it likes), and a plain name
   * that is not registered locally goes to the first one. Default none: local calls only.
   */
  forward?: readonly string[];
  /**
   * Origins (`scheme://host[:port]`) whose pages may connect besides the gateway's own (Origin
   * matches Host: the demo page); '*' for any. Clients that send no Origin (not browsers)
   * always may. Default none.
   */
  origins?: readonly string[];
  /** Largest WebSocket message accepted; larger closes the connection with 1009. Default MAX_MESSAGE. */
  maxMessage?: number;
  /**
   * Calls one connection may have running; further requests wait (the socket is paused). Default DEFAULT_MAX_IN_FLIGHT.
   */
  maxInFlight?: number;
  /** Most WebSocket connections at once; more are refused at the handshake (503). Default DEFAULT_MAX_CONNECTIONS. */
  maxConnections?: number;
  /**
   * ms close() waits for a page to answer its close frame before dropping the connection
   * (ws alone would wait 30 s for a stuck or suspended peer, holding a SIGINT'd serve).
   * Default DEFAULT_CLOSE_HANDSHAKE_TIMEOUT.
   */
  closeHandshakeTimeout?: number;
  /** ms for a forwarded call (see RpcClient's timeout). Default the client's. */
  timeout?: number;
  /** Client for forwarded calls; default one made here (closed with the gateway). */
  client?: RpcClient;
  codec?: Codec;
  /** Serve the demo page at `/` and the browser bundle at `/uwsgi-rpc.js`. Default true. */
  demo?: boolean;
  /** The browser bundle's source (default dist/browser/uwsgi-rpc-codec.js, read when asked for). */
  bundle?: () => string;
  log?: (line: string) => void;
}

/** A whole RPC request packet: 4-byte header + the u16 body. */
const MAX_MESSAGE = 4 + MAX_BODY;
const DEFAULT_MAX_IN_FLIGHT = 64;
const DEFAULT_MAX_CONNECTIONS = 1024;
/** A live page answers a close frame at once: one that has not within this is gone or stuck. */
const DEFAULT_CLOSE_HANDSHAKE_TIMEOUT = 1000;

/** The gateway's settings with defaults applied and checked (the client and codec are made by the gateway). */
export interface GatewayConfig {
  readonly registry: Registry;
  readonly forward: readonly string[];
  readonly origins: readonly string[] | undefined;
  readonly maxMessage: number;
  readonly maxInFlight: number;
  readonly maxConnections: number;
  readonly closeHandshakeTimeout: number;
  readonly demo: boolean;
  readonly bundle: (() => string) | undefined;
  readonly log: (line: string) => void;
}

function count(v: number | undefined, what: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < 1)
    throw new RpcError('INVALID', `${what} must be an integer >= 1, got ${String(v)}`);
  return v;
}

/** Every option but the client's (timeout, client, codec: RpcClient checks those); throws RpcError INVALID. */
export function resolveGatewayOptions(o: GatewayOptions): GatewayConfig {
  if (typeof o.registry?.lookup !== 'function') throw new RpcError('INVALID', 'the gateway needs a registry');
  const closeHandshakeTimeout = o.closeHandshakeTimeout ?? DEFAULT_CLOSE_HANDSHAKE_TIMEOUT;
  if (
    typeof closeHandshakeTimeout !== 'number' ||
    !(closeHandshakeTimeout >= 0 && closeHandshakeTimeout <= 2 ** 31 - 1)
  ) {
    throw new RpcError(
      'INVALID',
      `closeHandshakeTimeout must be a number of ms 0..2^31-1, got ${String(closeHandshakeTimeout)}`,
    );
  }
  return {
    registry: o.registry,
    forward: o.forward ?? [],
    origins: o.origins,
    maxMessage: count(o.maxMessage, 'maxMessage', MAX_MESSAGE),
    maxInFlight: count(o.maxInFlight, 'maxInFlight', DEFAULT_MAX_IN_FLIGHT),
    maxConnections: count(o.maxConnections, 'maxConnections', DEFAULT_MAX_CONNECTIONS),
    closeHandshakeTimeout,
    demo: o.demo !== false,
    bundle: o.bundle,
    log: o.log ?? (() => {}),
  };
}
