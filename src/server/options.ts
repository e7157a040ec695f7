// Every RpcServer option in one place: its declaration, its default (DEFAULT_*) and its check
// (resolveServerOptions and the two per-call resolvers below). The CLI's flags and help take
// their defaults from here.
import type { JsonRpcLimits } from '../bridges/jsonrpc-bridge.js';
import type { XmlLimits } from '../bridges/xml-parser.js';
import { MAX_BODY } from '../codec/constants.js';
import type { EngineChoice } from '../codec/create.js';
import { type Bridge, DEFAULT_MAX_BODY, isBridge } from '../dispatch/bridge.js';
import { type Registry, defaultRegistry } from '../functions/registry.js';
import { Router, type RouteOption } from '../routing/router.js';
import { RpcError } from '../rpc-error.js';
import type { SubscriberOptions } from '../subscription/subscriber.js';
import { type AllowList, allowList } from './allow.js';
import { type LogLine, stderrLog } from './log.js';

/**
 * What one server lets its peers use. Names follow uWSGI's options where it has one
 * (`--listen`, `--socket-timeout`, `--harakiri`, `--buffer-size`); times are in ms here
 * (the CLI takes seconds, as uWSGI does).
 */
export interface ServerLimits {
  /**
   * Listen queue length (uWSGI --listen). 511 as Node's own default: uWSGI's 100 drops connections in a burst of a few
   * hundred.
   */
  backlog: number;
  /**
   * Open connections at most (--max-conns): uwsgi ones over all uwsgi sockets, and as many
   * HTTP ones over all HTTP sockets (a table each). At the limit a new one takes the place of
   * an idle or half-sent one (see eviction.ts), or is closed at once.
   */
  maxConns: number;
  /**
   * A connection that sends nothing, leaves a packet half sent, or reads none of its
   * answer for this long is closed (uWSGI --socket-timeout, 4 s).
   */
  socketTimeout: number;
  /**
   * A request packet (header, vars and args; an HTTP request's head on an HTTP socket) must
   * arrive whole within this long of its first byte, however slowly it drips: socket-timeout
   * restarts at every byte, so alone it lets a peer hold a connection for hours. 0: no limit.
   * uWSGI has no such option.
   */
  requestTimeout: number;
  /**
   * A kept-open connection idle between requests is closed (quietly, with a FIN) after
   * this long. Longer than any keep-alive client keeps an idle connection (ours: 5 s), so
   * a client never sends a call on a connection the server is closing.
   */
  keepaliveTimeout: number;
  /** A call running longer is abandoned: its connection closes without an answer (uWSGI --harakiri). 0: never. */
  harakiri: number;
  /**
   * Largest request packet body accepted (uWSGI --buffer-size); the u16 header caps it at
   * 65535. On an HTTP socket: the most the request line and headers may take (431 above).
   */
  bufferSize: number;
  /** Calls running or waiting to be answered on one connection before it stops reading. */
  maxInFlight: number;
  /** Bytes of answers waiting to go out on one connection before it stops running calls. */
  maxPendingBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  backlog: 511,
  maxConns: 10_000,
  socketTimeout: 4_000,
  requestTimeout: 5_000,
  keepaliveTimeout: 15_000,
  harakiri: 0,
  bufferSize: MAX_BODY,
  maxInFlight: 1024,
  maxPendingBytes: 1 << 20,
});

/** The limits of the HTTP side: request bodies of the XML-RPC and JSON-RPC bridges. */
export interface HttpOptions {
  /**
   * Most request body the XML-RPC and JSON-RPC bridges read (bytes; more gets 413). Default DEFAULT_MAX_BODY (1 MiB).
   */
  maxBody?: number;
  /**
   * How long a request may take to send its body (ms); one that does not is closed without an answer. Default
   * DEFAULT_BODY_TIMEOUT.
   */
  bodyTimeout?: number;
  xml?: XmlLimits;
  json?: JsonRpcLimits;
}

const DEFAULT_BODY_TIMEOUT = 10_000;
/** How long close() lets running calls finish before dropping their connections (uWSGI's --reload-mercy). */
const DEFAULT_CLOSE_TIMEOUT = 10_000;
export const DEFAULT_ENGINE: EngineChoice = 'auto';
/**
 * When a connection is ended right after its answer (see RpcServerOptions.closeAfterAnswer).
 * 'lone': a connection whose first request comes alone, without the keep-open mark (uWSGI's
 * callers, nginx): answer and FIN go out together, as uWSGI does. 'never': every connection
 * stays open until the peer closes it or it idles out.
 */
export type CloseAfterAnswer = 'lone' | 'never';
export const CLOSE_AFTER_ANSWER: readonly CloseAfterAnswer[] = ['lone', 'never'];
export const DEFAULT_CLOSE_AFTER_ANSWER: CloseAfterAnswer = 'lone';
/**
 * How long a leaving node keeps accepting after its unsubscribe: a router may have picked it
 * just before reading the datagram, and connections still in the listen backlog when the
 * socket closes would be reset.
 */
export const DEFAULT_UNSUBSCRIBE_GRACE = 1000;

export interface RpcServerOptions extends Partial<ServerLimits> {
  /** Where functions live. Default: the package's `defaultRegistry`, which `register()` fills. */
  registry?: Registry;
  /** Codec engine: 'auto' (default), 'wasm' or 'ts'. */
  engine?: EngineChoice;
  /**
   * 'lone' (default): a connection whose first request arrives alone (nothing else read with it) and without the
   * keep-open mark (a leading empty item, which this package's client puts on a keep-alive connection's first call)
   * is ended with its answer, as uWSGI ends every connection: one-shot callers (uWSGI's `uwsgi.rpc`, nginx) then
   * need not close first, which costs a Node server a third of its per-connection rate. Requests it sends after
   * that answer are not run. 'never': connections stay open for more requests until the peer closes them.
   */
  closeAfterAnswer?: CloseAfterAnswer;
  /** One line per failed request or other event. Default: a line on stderr. */
  log?: LogLine;
  /**
   * How long close() lets in-flight calls run before dropping their connections (ms). Default DEFAULT_CLOSE_TIMEOUT.
   */
  closeTimeout?: number;
  /**
   * uWSGI routing rules for HTTP requests (from listenHttp(), and modifier1-0 packets from
   * nginx's uwsgi_pass), in order: `[['route', '^/hello$ rpc:hello'], ...]`. Throws
   * RouteError at once for a rule uWSGI would refuse.
   */
  routes?: readonly RouteOption[] | Router;
  /** Limits of the HTTP side (request bodies of the XML-RPC and JSON-RPC bridges). */
  http?: HttpOptions;
  /** File mode given to unix sockets listened on (uWSGI --chmod-socket), e.g. 0o660. Default: the umask's. */
  chmodSocket?: number;
  /**
   * Client networks allowed on TCP sockets (`10.0.0.0/8`, `::1/128`, `127.0.0.1`); others are closed at once. Unix
   * sockets: always allowed. Default: everyone.
   */
  allow?: readonly string[];
}

/** subscribe(): SubscriberOptions, with the address and load taken from the server. */
export interface SubscribeOptions extends Omit<SubscriberOptions, 'subscribeTo' | 'address' | 'log'> {
  /** The address to announce. Default: the first uwsgi socket listened on. */
  address?: string;
  /** How long close() keeps accepting after unsubscribing (ms). Default DEFAULT_UNSUBSCRIBE_GRACE. */
  unsubscribeGrace?: number;
}

/** What listenHttp() passes every request to, as uWSGI's --http-socket-modifier1/2. */
export interface HttpListenOptions {
  /** 0 (default): routing only; 173: the RPC bridge named by modifier2. */
  modifier1?: number;
  /** With modifier1 173: 2 PATH_INFO, 3 XML-RPC, 4 JSON-RPC. */
  modifier2?: number;
}

/** How listen() and listenHttp() bind. */
export interface ListenOptions {
  /**
   * A TCP socket of this process's own, with SO_REUSEPORT, so that several processes can
   * listen on one port and the kernel spreads connections over them. Throws INVALID where the
   * runtime cannot (runtimeFeatures().reusePort is false: Node 20) or for unix sockets.
   */
  reusePort?: boolean;
  /**
   * TLS on this socket (uWSGI's --ssl-socket / --https-socket): the uwsgi protocol or HTTP over TLS.
   */
  tls?: ServerTlsOptions;
}

/**
 * A TLS socket's certificate, key, ciphers and client CA: uWSGI's `ADDR,CERT,KEY[,CIPHERS[,CA]]`. Each of cert, key
 * and ca is PEM text (a string beginning `-----BEGIN `, as uWSGI tells them apart, or bytes) or a file path; files
 * are read again by RpcServer.reloadTls() (SIGHUP).
 */
export interface ServerTlsOptions {
  /** The certificate chain (leaf first). */
  cert: string | Uint8Array;
  key: string | Uint8Array;
  /** OpenSSL cipher list (TLS 1.2; TLS 1.3 suites are OpenSSL's); given, the server's order wins. Default Node's. */
  ciphers?: string;
  /**
   * The CA client certificates must chain to: given, every client must present a certificate it signed, or the
   * connection is refused (uWSGI's `!CA` form; the leading `!` is accepted and means the same).
   */
  ca?: string | Uint8Array;
}

/** The HTTP side's settings, defaults applied. */
export interface HttpConfig {
  readonly maxBody: number;
  readonly bodyTimeout: number;
  readonly xml: XmlLimits;
  readonly json: JsonRpcLimits;
}

/** RpcServer's settings with defaults applied and checked. */
export interface ServerConfig {
  readonly limits: Readonly<ServerLimits>;
  readonly allow: AllowList | null;
  readonly chmodSocket: number | undefined;
  readonly registry: Registry;
  readonly log: LogLine;
  readonly closeTimeout: number;
  readonly router: Router | null;
  readonly http: HttpConfig;
  readonly engine: EngineChoice;
  readonly closeAfterAnswer: CloseAfterAnswer;
}

const ENGINES: readonly EngineChoice[] = ['auto', 'wasm', 'ts'];

/** Every option checked (RpcError INVALID, or RouteError for a bad route) and its default applied. */
export function resolveServerOptions(options: RpcServerOptions): ServerConfig {
  const limits = Object.freeze(resolveLimits(options));
  const allow = options.allow === undefined ? null : allowList(options.allow);
  const mode = options.chmodSocket;
  if (mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= 0o777))
    throw new RpcError('INVALID', `chmodSocket ${mode}: a file mode 0..0o777`);
  const closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
  if (!(closeTimeout >= 0)) throw new RpcError('INVALID', `closeTimeout ${closeTimeout}`);
  const http = resolveHttp(options.http ?? {});
  const routes = options.routes;
  const router = routes === undefined ? null : routes instanceof Router ? routes : Router.fromOptions(routes);
  const engine = options.engine ?? DEFAULT_ENGINE;
  if (!ENGINES.includes(engine)) throw new RpcError('INVALID', `engine ${String(engine)}: use 'auto', 'wasm' or 'ts'`);
  const closeAfterAnswer = options.closeAfterAnswer ?? DEFAULT_CLOSE_AFTER_ANSWER;
  if (!CLOSE_AFTER_ANSWER.includes(closeAfterAnswer))
    throw new RpcError('INVALID', `closeAfterAnswer ${String(closeAfterAnswer)}: use 'lone' or 'never'`);
  return {
    limits,
    allow,
    chmodSocket: mode,
    registry: options.registry ?? defaultRegistry,
    log: options.log ?? stderrLog,
    closeTimeout,
    router,
    http,
    engine,
    closeAfterAnswer,
  };
}

/** The limits with defaults applied; throws INVALID for a value that is not a count or a time. */
function resolveLimits(given: Partial<ServerLimits>): ServerLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ServerLimits)[]) {
    const v = given[key];
    if (v === undefined) continue;
    const time =
      key === 'socketTimeout' || key === 'requestTimeout' || key === 'keepaliveTimeout' || key === 'harakiri';
    const min = time ? 0 : 1;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new RpcError(
        'INVALID',
        `${key} must be an integer >= ${min}${time ? ' (ms; 0: no limit)' : ''}, got ${String(v)}`,
      );
    }
    out[key] = v;
  }
  if (out.bufferSize > MAX_BODY) out.bufferSize = MAX_BODY;
  return out;
}

function resolveHttp(o: HttpOptions): HttpConfig {
  const maxBody = o.maxBody ?? DEFAULT_MAX_BODY;
  if (!Number.isSafeInteger(maxBody) || maxBody < 0)
    throw new RpcError('INVALID', `http.maxBody must be a safe integer >= 0 (bytes), got ${String(maxBody)}`);
  const bodyTimeout = o.bodyTimeout ?? DEFAULT_BODY_TIMEOUT;
  // a timer: more than setTimeout's 2^31-1 ms would fire at once
  if (typeof bodyTimeout !== 'number' || !(bodyTimeout > 0 && bodyTimeout <= 2 ** 31 - 1)) {
    throw new RpcError(
      'INVALID',
      `http.bodyTimeout must be a number of ms > 0 (at most 2^31-1), got ${String(bodyTimeout)}`,
    );
  }
  return { maxBody, bodyTimeout, xml: o.xml ?? {}, json: o.json ?? {} };
}

/** listenHttp()'s modifiers as the bridge they select (0: routes only); throws INVALID for any other pair. */
export function resolveHttpListen(options: HttpListenOptions): Bridge {
  const m1 = options.modifier1 ?? 0;
  const m2 = options.modifier2 ?? 0;
  const bridge = m1 === 0 ? 0 : m2;
  if ((m1 !== 0 && m1 !== 173) || (m1 === 173 && (!isBridge(bridge) || bridge === 0))) {
    throw new RpcError(
      'INVALID',
      `http modifier1 ${m1} modifier2 ${m2}: use modifier1 0, or 173 with modifier2 2 (PATH_INFO), 3 (XML-RPC) or 4 (JSON-RPC)`,
    );
  }
  return isBridge(bridge) ? bridge : 0;
}

/** subscribe()'s unsubscribeGrace, default applied; throws INVALID for a negative or non-number one. */
export function resolveUnsubscribeGrace(options: SubscribeOptions): number {
  const grace = options.unsubscribeGrace ?? DEFAULT_UNSUBSCRIBE_GRACE;
  if (!(grace >= 0)) throw new RpcError('INVALID', `unsubscribeGrace ${grace}`);
  return grace;
}
