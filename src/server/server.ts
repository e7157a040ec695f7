import type { Server as HttpServer } from 'node:http';
import { chmodSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { type AllowList, allowList } from './allow.js';
import type { Bytes, Input } from '../codec/bytes.js';
import type { Codec } from '../codec/codec.js';
import { type EngineChoice, createCodec } from '../codec/create.js';
import { RpcError } from '../rpc-error.js';
import { type SocketAddress, formatAddress, parseAddress } from '../address/address.js';
import { runtimeFeatures } from './runtime.js';
import { isBridge } from '../dispatch/dispatcher.js';
import type { Router, RouteOption } from '../routing/router.js';
import { Connection, type ConnectionHost } from './connection.js';
import { createHttpFront } from './http-front.js';
import { type HttpOptions, HttpService } from './http-service.js';
import { type ServerLimits, resolveLimits, sweepInterval } from './limits.js';
import { bind } from './listen.js';
import { type LogLine, stderrLog } from './log.js';
import { Registry, type RpcFunction, defaultRegistry } from '../functions/registry.js';
import { type SubscribeTarget, parseSubscribeTo } from '../subscription/spec.js';
import { DEFAULT_UNSUBSCRIBE_GRACE, Subscriber, type SubscriberOptions } from '../subscription/subscriber.js';

export interface RpcServerOptions extends Partial<ServerLimits> {
  /** Where functions live. Default: the package's `defaultRegistry`, which `register()` fills. */
  registry?: Registry;
  /** Codec engine: 'auto' (default), 'wasm' or 'ts'. */
  engine?: EngineChoice;
  /** One line per failed request or other event. Default: a line on stderr. */
  log?: LogLine;
  /** How long close() lets in-flight calls run before dropping their connections (ms). */
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
  /** Client networks allowed on TCP sockets (`10.0.0.0/8`, `::1/128`, `127.0.0.1`); others are closed at once. Unix sockets: always allowed. Default: everyone. */
  allow?: readonly string[];
}

/** subscribe(): SubscriberOptions, with the address and load taken from the server. */
export interface SubscribeOptions extends Omit<SubscriberOptions, 'subscribeTo' | 'address' | 'log'> {
  /** The address to announce. Default: the first uwsgi socket listened on. */
  address?: string;
  /** How long close() keeps accepting after unsubscribing (ms). Default 1000. */
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
}

export const DEFAULT_CLOSE_TIMEOUT = 10_000;

interface Listener {
  server: Server;
  address: string;
  http: boolean;
}

/**
 * Serves registered functions over the uwsgi RPC protocol (modifier1 173) on TCP and unix
 * sockets, byte for byte as uWSGI does, plus pipelining on kept-open connections.
 */
export class RpcServer {
  readonly registry: Registry;
  private readonly log: LogLine;
  private readonly closeTimeout: number;
  private readonly codecReady: Promise<Codec>;
  private readonly listeners: Listener[] = [];
  private readonly connections = new Set<Connection>();
  private closing: Promise<void> | null = null;
  private allClosed: (() => void) | null = null;
  private host: ConnectionHost | null = null;
  private readonly http: HttpService;
  readonly limits: Readonly<ServerLimits>;
  /** The coarse clock connections read (see ConnectionHost.now), moved on by the sweep. */
  private clock = performance.now();
  private sweeper: NodeJS.Timeout | null = null;
  /** Connections refused by maxConns since the limit was last logged. */
  private refusedConns = 0;
  private readonly allowed: AllowList | null;
  private readonly chmodSocket: number | undefined;
  private subscriber: { subscriber: Subscriber; grace: number } | null = null;
  /** Set once close() stops accepting (after unsubscribing: connections keep coming until then). */
  private draining = false;

  constructor(options: RpcServerOptions = {}) {
    this.limits = Object.freeze(resolveLimits(options));
    this.allowed = options.allow === undefined ? null : allowList(options.allow);
    const mode = options.chmodSocket;
    if (mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= 0o777)) throw new RpcError('INVALID', `chmodSocket ${mode}: a file mode 0..0o777`);
    this.chmodSocket = mode;
    this.registry = options.registry ?? defaultRegistry;
    this.log = options.log ?? stderrLog;
    const t = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    if (!(t >= 0)) throw new RpcError('INVALID', `closeTimeout ${t}`);
    this.closeTimeout = t;
    this.http = new HttpService(this.registry, options.routes ?? null, this.log, options.http);
    this.codecReady = createCodec({ engine: options.engine ?? 'auto' });
    // listen() reports a codec that cannot load; do not let it surface as unhandled first.
    this.codecReady.catch(() => {});
  }

  register(name: Input, fn: RpcFunction): this {
    this.registry.register(name, fn);
    return this;
  }

  /** Calls a registered function here, without a socket; rejects NOT_FOUND / FUNCTION_FAILED. */
  call(name: Input, ...args: Input[]): Promise<Bytes> {
    return this.registry.call(name, ...args);
  }

  /** The bound addresses, one per listen(), with real ports. */
  get addresses(): string[] {
    return this.listeners.map((l) => l.address);
  }

  /** Open uwsgi-protocol connections (over all sockets; what maxConns bounds). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** The codec engine serving requests, once listen() has resolved. */
  get engine(): 'wasm' | 'ts' | undefined {
    return this.host?.codec.engine;
  }

  /**
   * Listens on `host:port`, `:port` (127.0.0.1) or a unix socket path (anything with a `/`;
   * a stale socket file nothing answers on is replaced). Call it again for more sockets.
   * Resolves with the bound address (the real port when 0 was asked).
   */
  async listen(address: string | number, options: ListenOptions = {}): Promise<string> {
    if (this.closing) throw new RpcError('INVALID', 'the server is closed');
    const where = parseAddress(address);
    const reusePort = await checkReusePort(where, options);
    const host = await this.connectionHost();
    const server = createServer({ noDelay: true, allowHalfOpen: true });
    const allowed = where.kind === 'tcp' ? this.allowed : null;
    // the real port once bound; connections may come before bind() resolves
    let bound = formatAddress(where);
    // Before bind: in a cluster worker the first handed-over connection can arrive in the
    // same turn as the primary's "listening" answer; a connection nothing handles is never read.
    server.on('connection', (socket: Socket) => {
      // accepted just before close() stopped the listener: nothing will drain it
      if (this.draining) socket.destroy();
      else if (allowed !== null && !allowed.allows(socket.remoteAddress)) {
        socket.on('error', () => {});
        socket.destroy();
        this.log(`${socket.remoteAddress}:${socket.remotePort}: not in the allow list of ${bound}: connection closed`);
      }
      else if (this.connections.size >= this.limits.maxConns) this.refuseConnection(socket, bound);
      else this.connections.add(new Connection(socket, host, bound));
    });
    const port = await bind(server, where, { backlog: this.limits.backlog, reusePort });
    bound = formatAddress(where.kind === 'tcp' ? { ...where, port } : where);
    if (this.closing) {
      server.close();
      throw new RpcError('INVALID', 'the server was closed while listening');
    }
    if (where.kind === 'unix' && this.chmodSocket !== undefined && !where.path.startsWith('\0')) chmodSync(where.path, this.chmodSocket);
    this.startSweep();
    server.on('error', (err) => this.log(`${bound}: ${err.message}`));
    this.listeners.push({ server, address: bound, http: false });
    return bound;
  }

  /**
   * Listens for HTTP (uWSGI's --http-socket): each request becomes uWSGI-style vars and goes
   * through the routes, then (modifier1 173) the bridge of `modifier2`; with no bridge, a
   * request no route answered gets 404. Resolves with the bound address.
   */
  async listenHttp(address: string | number, options: HttpListenOptions & ListenOptions = {}): Promise<string> {
    if (this.closing) throw new RpcError('INVALID', 'the server is closed');
    const m1 = options.modifier1 ?? 0;
    const m2 = options.modifier2 ?? 0;
    const bridge = m1 === 0 ? 0 : m2;
    if ((m1 !== 0 && m1 !== 173) || (m1 === 173 && (!isBridge(bridge) || bridge === 0))) {
      throw new RpcError('INVALID', `http modifier1 ${m1} modifier2 ${m2}: use modifier1 0, or 173 with modifier2 2 (PATH_INFO), 3 (XML-RPC) or 4 (JSON-RPC)`);
    }
    const where = parseAddress(address);
    const reusePort = await checkReusePort(where, options);
    const server = createHttpFront(this.http, isBridge(bridge) ? bridge : 0, this.log, this.limits.bufferSize);
    server.maxConnections = this.limits.maxConns;
    const port = await bind(server, where, { backlog: this.limits.backlog, reusePort });
    const bound = formatAddress(where.kind === 'tcp' ? { ...where, port } : where);
    if (this.closing) {
      server.close();
      throw new RpcError('INVALID', 'the server was closed while listening');
    }
    server.on('error', (err) => this.log(`${bound}: ${err.message}`));
    this.listeners.push({ server, address: bound, http: true });
    return bound;
  }

  /**
   * Joins uWSGI routers' pools (rawrouter, fastrouter ...) as a uWSGI node does with
   * --subscribe-to: announces this node now and every `freq` seconds; close() unsubscribes
   * first and keeps accepting for `unsubscribeGrace` ms, so calls routed meanwhile are served.
   */
  async subscribe(subscribeTo: string | readonly (string | SubscribeTarget)[], options: SubscribeOptions = {}): Promise<Subscriber> {
    if (this.closing) throw new RpcError('INVALID', 'the server is closed');
    if (this.subscriber !== null) throw new RpcError('INVALID', 'subscribe() was already called: give every server in one call');
    const targets = (typeof subscribeTo === 'string' ? [subscribeTo] : subscribeTo).map((t) => (typeof t === 'string' ? parseSubscribeTo(t) : t));
    // ADDRESS=SERVER:KEY targets name their own address
    const address = options.address ?? this.listeners.find((l) => !l.http)?.address ?? (targets.every((t) => t.address !== undefined) ? targets[0]?.address : undefined);
    if (address === undefined) throw new RpcError('INVALID', 'subscribe() needs a uwsgi socket to announce: listen() first, or give options.address');
    const grace = options.unsubscribeGrace ?? DEFAULT_UNSUBSCRIBE_GRACE;
    if (!(grace >= 0)) throw new RpcError('INVALID', `unsubscribeGrace ${grace}`);
    const subscriber = new Subscriber({
      load: () => this.connections.size,
      ...options,
      subscribeTo: targets,
      address,
      log: this.log,
    });
    this.subscriber = { subscriber, grace };
    await subscriber.start();
    return subscriber;
  }

  /**
   * Unsubscribes (see subscribe()), then stops accepting, closes idle connections at once, lets in-flight calls finish and
   * their answers go out (at most `closeTimeout` ms, then drops what is left), and resolves
   * when every socket is closed.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** `await using server = new RpcServer()`: close() at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Over maxConns: closed at once. One line when the limit is first hit; the count of
   * refused ones is told when a connection is taken again, so a flood writes two lines.
   */
  private refuseConnection(socket: Socket, listener: string): void {
    socket.on('error', () => {});
    socket.destroy();
    if (this.refusedConns++ === 0) {
      this.log(`${listener}: max-conns: ${this.limits.maxConns} connections open: closing new ones until some end`);
    }
  }

  /** Looks for connections past a timeout (socket-timeout, keepalive-timeout, harakiri). */
  private startSweep(): void {
    const every = sweepInterval(this.limits);
    if (this.sweeper !== null || every === 0) return;
    this.sweeper = setInterval(() => {
      this.clock = performance.now();
      // The clock a connection read was up to one interval old: look back that much more.
      const now = this.clock - every;
      for (const c of this.connections) c.check(now);
      if (this.refusedConns > 0 && this.connections.size < this.limits.maxConns) {
        this.log(`max-conns: ${this.refusedConns} connection${this.refusedConns === 1 ? '' : 's'} refused while full; taking new ones again`);
        this.refusedConns = 0;
      }
    }, every);
    this.sweeper.unref();
  }

  private async shutdown(): Promise<void> {
    if (this.subscriber !== null) await this.subscriber.subscriber.stop(this.subscriber.grace);
    this.draining = true;
    const stopped = this.listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())));
    const httpServers = this.listeners.filter((l) => l.http).map((l) => l.server as HttpServer);
    for (const h of httpServers) h.closeIdleConnections();
    if (this.connections.size > 0) {
      const drained = new Promise<void>((resolve) => {
        this.allClosed = resolve;
      });
      for (const c of this.connections) c.drain();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.closeTimeout);
      });
      await Promise.race([drained, late]);
      clearTimeout(timer);
      for (const c of this.connections) c.destroy();
    }
    if (httpServers.length > 0) {
      // HTTP requests still running get the same time, then their connections go.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.closeTimeout);
      });
      await Promise.race([Promise.all(stopped), late]);
      clearTimeout(timer);
      for (const h of httpServers) h.closeAllConnections();
    }
    await Promise.all(stopped);
    if (this.sweeper !== null) clearInterval(this.sweeper);
    await this.http.close();
  }

  private async connectionHost(): Promise<ConnectionHost> {
    if (this.host) return this.host;
    const codec = await this.codecReady;
    const self = this;
    this.host ??= {
      codec,
      registry: this.registry,
      log: this.log,
      http: this.http,
      limits: this.limits,
      get now() {
        return self.clock;
      },
      closed: (c) => {
        this.connections.delete(c);
        if (this.connections.size === 0 && this.allClosed) this.allClosed();
      },
    };
    return this.host;
  }
}

/** options.reusePort, refused where it cannot be had. */
async function checkReusePort(where: SocketAddress, options: ListenOptions): Promise<boolean> {
  if (options.reusePort !== true) return false;
  if (where.kind !== 'tcp') throw new RpcError('INVALID', `reusePort is for TCP sockets, not ${formatAddress(where)}`);
  if (!(await runtimeFeatures()).reusePort) throw new RpcError('INVALID', `reusePort: this runtime (Node ${process.versions.node}) cannot share a port between processes (Node 22.12+ can)`);
  return true;
}
