// RpcServer: listens on uwsgi and HTTP sockets, hands each accepted connection to a Connection,
// subscribes to routers, and closes gracefully; its options are resolved in options.ts.
import type { Server as HttpServer } from 'node:http';
import { chmodSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { type SocketAddress, formatAddress, parseAddress } from '../address/address.js';
import type { Bytes, Input } from '../codec/bytes.js';
import type { Codec } from '../codec/codec.js';
import { createCodec } from '../codec/create.js';
import type { Registry, RpcFunction } from '../functions/registry.js';
import { type Catalog, isCatalog } from '../typed/catalog.js';
import { RpcError } from '../rpc-error.js';
import { type SubscribeTarget, parseSubscribeTo } from '../subscription/spec.js';
import type { Subscriber } from '../subscription/subscriber.js';
import type { AllowList } from './allow.js';
import { ConnectionTable } from './conn-table.js';
import { Connection, type ConnectionHost } from './connection.js';
import type { HttpOccupant } from './http-occupant.js';
import type { HttpService } from './http-service.js';
import { bind } from './listen.js';
import type { LogLine } from './log.js';
import {
  type HttpListenOptions,
  type ListenOptions,
  type RpcServerOptions,
  type ServerLimits,
  type ServerTlsOptions,
  type SubscribeOptions,
  resolveHttpListen,
  resolveServerOptions,
  resolveUnsubscribeGrace,
} from './options.js';
import { runtimeFeatures } from './runtime.js';
import { ListenerCounters, ServerCounters } from './counters.js';
import { createMetrics } from './metrics.js';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { ServerSnapshot } from './snapshot.js';
import type * as TlsModule from './tls.js';

interface Listener {
  server: Server;
  address: string;
  http: boolean;
  counters: ListenerCounters;
  /** A TLS socket's settings, for reloadTls(). */
  tls?: ServerTlsOptions;
  /** A TLS socket: closes the connections still in their handshake. */
  dropHandshakes?: () => void;
}

/**
 * Serves registered functions over the uwsgi RPC protocol (modifier1 173) on TCP and unix
 * sockets, byte for byte as uWSGI does, plus pipelining on kept-open connections.
 */
export class RpcServer {
  readonly registry: Registry;
  private readonly log: LogLine;
  private readonly closeTimeout: number;
  private readonly closeLone: boolean;
  private readonly codecReady: Promise<Codec>;
  private readonly listeners: Listener[] = [];
  /**
   * The uwsgi sockets' connections, bounded by maxConns; the HTTP sockets' have a table of their
   * own with the same bound, so that a flood on one front never refuses the other's callers.
   */
  private readonly table: ConnectionTable<Connection>;
  private readonly connections: Set<Connection>;
  private readonly httpTable: ConnectionTable<HttpOccupant>;
  private closing: Promise<void> | null = null;
  private allClosed: (() => void) | null = null;
  private host: ConnectionHost | null = null;
  /** Routes and bridges, made with the first HTTP request or HTTP listener (most uwsgi sockets get neither). */
  private http: Promise<HttpService> | null = null;
  private readonly httpSetup: () => Promise<HttpService>;
  readonly limits: Readonly<ServerLimits>;
  /** The coarse clock connections read (see ConnectionHost.now), moved on by the sweep. */
  private clock = performance.now();
  private sweeper: NodeJS.Timeout | null = null;
  private readonly allowed: AllowList | null;
  private readonly chmodSocket: number | undefined;
  private subscriber: { subscriber: Subscriber; grace: number } | null = null;
  /**
   * TLS sockets' code, loaded by the first one (as the HTTP front and the subscriber are, when
   * asked for): a server on plain sockets does not pay their memory (idle RSS is a target).
   */
  private tlsCode: typeof TlsModule | null = null;

  private async loadTlsCode(): Promise<typeof TlsModule> {
    this.tlsCode ??= await import('./tls.js');
    return this.tlsCode;
  }
  /** Set once close() stops accepting (after unsubscribing: connections keep coming until then). */
  private draining = false;
  private readonly counters = new ServerCounters();
  private metricsRegistry: MetricsRegistry | null = null;

  constructor(options: RpcServerOptions = {}) {
    const config = resolveServerOptions(options);
    this.limits = config.limits;
    this.table = new ConnectionTable(this.limits.maxConns, 'connection', config.log);
    this.connections = this.table.open;
    this.httpTable = new ConnectionTable(this.limits.maxConns, 'HTTP connection', config.log);
    this.allowed = config.allow;
    this.chmodSocket = config.chmodSocket;
    this.registry = config.registry;
    this.log = config.log;
    this.closeTimeout = config.closeTimeout;
    this.closeLone = config.closeAfterAnswer === 'lone';
    this.httpSetup = async () => {
      const { HttpService } = await import('./http-service.js');
      return new HttpService(this.registry, config.router, this.log, config.http);
    };
    this.codecReady = createCodec({ engine: config.engine });
    // listen() reports a codec that cannot load; do not let it surface as unhandled first.
    this.codecReady.catch(() => {});
  }

  /** Registers a function, or every function of a typed catalog (defineFunctions); see Registry.register. */
  register(catalog: Catalog): this;
  register(name: Input, fn: RpcFunction): this;
  register(name: Input | Catalog, fn?: RpcFunction): this {
    if (isCatalog(name)) this.registry.register(name);
    else this.registry.register(name, fn as RpcFunction);
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

  /** Open uwsgi-protocol connections (over all uwsgi sockets; what maxConns bounds there, the HTTP sockets having their own table). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Connections closed to make room at maxConns (idle or with a request not whole), uwsgi and HTTP, since listen(). */
  get evictedConnections(): number {
    return this.table.evicted + this.httpTable.evicted;
  }

  /** New connections closed at once at maxConns because every open one was busy, uwsgi and HTTP, since listen(). */
  get refusedConnections(): number {
    return this.table.refused + this.httpTable.refused;
  }

  /**
   * The counters as plain numbers: calls, failures, bytes and connections per socket, and each
   * registered function's calls, failures by reason and latency (see RpcServer.metrics).
   */
  snapshot(): ServerSnapshot {
    const c = this.counters;
    let running = 0;
    for (const conn of this.connections) running += conn.sender.queued;
    const live = new Map<ListenerCounters, { rx: number; tx: number }>();
    for (const table of [this.connections, this.httpTable.open])
      for (const conn of table) {
        const l = live.get(conn.listenerCounters) ?? { rx: 0, tx: 0 };
        l.rx += conn.socket.bytesRead;
        l.tx += conn.socket.bytesWritten;
        live.set(conn.listenerCounters, l);
      }
    const listeners = this.listeners.map(({ counters: l }) => ({
      address: l.address,
      proto: l.proto,
      backlog: l.backlog,
      accepted: l.accepted,
      refused: l.refused,
      evicted: l.evicted,
      denied: l.denied,
      open: l.open,
      rx: l.closedRx + (live.get(l)?.rx ?? 0),
      tx: l.closedTx + (live.get(l)?.tx ?? 0),
    }));
    return {
      requests: c.requests,
      unknown: c.unknown,
      exceptions: c.exceptions,
      harakiri: c.harakiri,
      timed: c.timed,
      timeSum: c.timeSum,
      running,
      connections: this.connections.size,
      listeners,
      functions: this.registry.counts(),
    };
  }

  /**
   * The server's Prometheus metrics (a prom-client Registry, read at scrape time from the
   * counters: nothing per call goes through prom-client). Merge it with your own
   * (`Registry.merge([yours, server.metrics])`) or serve it as it is. Reading it turns on
   * the per-call time measure the latency histogram needs.
   */
  get metrics(): MetricsRegistry {
    this.measureTime();
    this.metricsRegistry ??= createMetrics(() => this.snapshot());
    return this.metricsRegistry;
  }

  /** Measure every call's time from now on (for latency and uWSGI's avg_rt; two clock reads a call). */
  measureTime(): void {
    this.counters.timing = true;
  }

  /** The codec engine serving requests, once listen() has resolved. */
  get engine(): 'wasm' | 'ts' | undefined {
    return this.host?.codec.engine;
  }

  /**
   * Listens on `host:port`, `:port` (127.0.0.1) or a unix socket path (anything with a `/`;
   * a stale socket file nothing answers on is replaced). Call it again for more sockets.
   * Resolves with the bound address (the real port when 0 was asked). With `options.tls`, the uwsgi protocol goes
   * over TLS (uWSGI's --ssl-socket); a handshake must end within socketTimeout.
   */
  async listen(address: string | number, options: ListenOptions = {}): Promise<string> {
    if (this.closing) throw new RpcError('INVALID', 'the server is closed');
    const where = parseAddress(address);
    const reusePort = await checkReusePort(where, options);
    const tls = checkTls(options);
    const host = await this.connectionHost();
    const allowed = where.kind === 'tcp' ? this.allowed : null;
    // the real port once bound; connections may come before bind() resolves
    let bound = formatAddress(where);
    const counters = new ListenerCounters(bound, 'uwsgi', this.limits.backlog);
    const accept = (socket: Socket) => {
      // accepted just before close() stopped the listener: nothing will drain it
      if (this.draining) socket.destroy();
      else if (allowed !== null && !allowed.allows(socket.remoteAddress)) {
        socket.on('error', () => {});
        socket.destroy();
        counters.denied++;
        const peer = `${socket.remoteAddress}:${socket.remotePort}`;
        const message = `not in the allow list of ${counters.address}: connection closed`;
        this.log(`${peer}: ${message}`, { peer, message });
      } else if (this.table.admit(socket, counters)) this.connections.add(new Connection(socket, host, counters));
    };
    // Before bind: in a cluster worker the first handed-over connection can arrive in the
    // same turn as the primary's "listening" answer; a connection nothing handles is never read.
    let dropHandshakes: (() => void) | undefined;
    let server: Server;
    const tlsCode = tls === null ? null : await this.loadTlsCode();
    if (tlsCode === null) server = createServer({ noDelay: true, allowHalfOpen: true }, accept);
    else
      ({ server, dropHandshakes } = tlsCode.createTlsServer(
        tlsCode.loadTls(tls as ServerTlsOptions),
        this.limits.socketTimeout,
        () => bound,
        this.log,
        (socket) => {
          socket.setNoDelay(true);
          accept(socket);
        },
      ));
    const port = await bind(server, where, { backlog: this.limits.backlog, reusePort });
    bound = formatAddress(where.kind === 'tcp' ? { ...where, port } : where);
    counters.address = bound;
    if (this.closing) {
      server.close();
      throw new RpcError('INVALID', 'the server was closed while listening');
    }
    if (where.kind === 'unix' && this.chmodSocket !== undefined && !where.path.startsWith('\0'))
      chmodSync(where.path, this.chmodSocket);
    this.startSweep();
    server.on('error', (err) => this.log(`${bound}: ${err.message}`));
    this.listeners.push({ server, address: bound, http: false, counters, tls: tls ?? undefined, dropHandshakes });
    return bound;
  }

  /**
   * Reads every TLS socket's certificate, key and CA files again (uWSGI re-reads them on reload; `serve` does this on
   * SIGHUP): new handshakes use them, open connections go on. A socket whose new files do not load keeps its old ones;
   * the first such error is thrown once all were tried.
   */
  reloadTls(): void {
    let first: unknown = null;
    for (const l of this.listeners) {
      if (l.tls === undefined || this.tlsCode === null) continue;
      try {
        this.tlsCode.reloadTls(l.server, l.tls);
      } catch (err) {
        first ??= err;
        this.log(`${l.address}: TLS files not reloaded, the old ones stay: ${(err as Error).message}`);
      }
    }
    if (first !== null) throw first;
  }

  /**
   * Listens for HTTP (uWSGI's --http-socket): each request becomes uWSGI-style vars and goes
   * through the routes, then (modifier1 173) the bridge of `modifier2`; with no bridge, a
   * request no route answered gets 404. With `options.tls`, HTTPS (uWSGI's --https-socket: HTTPS=on in the vars).
   * Resolves with the bound address.
   */
  async listenHttp(address: string | number, options: HttpListenOptions & ListenOptions = {}): Promise<string> {
    if (this.closing) throw new RpcError('INVALID', 'the server is closed');
    const bridge = resolveHttpListen(options);
    const where = parseAddress(address);
    const reusePort = await checkReusePort(where, options);
    const tls = checkTls(options);
    const timeout = this.limits.socketTimeout;
    const tlsCode = tls === null ? null : await this.loadTlsCode();
    const tlsOptions =
      tlsCode === null ? undefined : tlsCode.tlsServerOptions(tlsCode.loadTls(tls as ServerTlsOptions), timeout);
    const { createHttpFront } = await import('./http-front.js');
    const server = createHttpFront(
      await this.httpService(),
      bridge,
      this.log,
      this.limits.bufferSize,
      this.limits.requestTimeout,
      tlsOptions,
    );
    let bound = formatAddress(where);
    const dropHandshakes =
      tlsCode === null ? undefined : tlsCode.guardTls(server as unknown as TlsServer, timeout, () => bound, this.log);
    const counters = new ListenerCounters(bound, 'http', this.limits.backlog);
    const { watchHttpConnections } = await import('./http-occupant.js');
    watchHttpConnections(server, tls !== null, this.httpTable, counters);
    const port = await bind(server, where, { backlog: this.limits.backlog, reusePort });
    bound = formatAddress(where.kind === 'tcp' ? { ...where, port } : where);
    counters.address = bound;
    if (this.closing) {
      server.close();
      throw new RpcError('INVALID', 'the server was closed while listening');
    }
    this.startSweep();
    server.on('error', (err) => this.log(`${bound}: ${err.message}`));
    this.listeners.push({
      server,
      address: bound,
      http: true,
      counters,
      tls: tls ?? undefined,
      dropHandshakes,
    });
    return bound;
  }

  /**
   * Joins uWSGI routers' pools (rawrouter, fastrouter ...) as a uWSGI node does with
   * --subscribe-to: announces this node now and every `freq` seconds; close() unsubscribes
   * first and keeps accepting for `unsubscribeGrace` ms, so calls routed meanwhile are served.
   */
  async subscribe(
    subscribeTo: string | readonly (string | SubscribeTarget)[],
    options: SubscribeOptions = {},
  ): Promise<Subscriber> {
    // first: the checks below and the subscriber's creation then run in one turn
    const { Subscriber } = await import('../subscription/subscriber.js');
    if (this.closing) throw new RpcError('INVALID', 'the server is closed');
    if (this.subscriber !== null)
      throw new RpcError('INVALID', 'subscribe() was already called: give every server in one call');
    const targets = (typeof subscribeTo === 'string' ? [subscribeTo] : subscribeTo).map((t) =>
      typeof t === 'string' ? parseSubscribeTo(t) : t,
    );
    // ADDRESS=SERVER:KEY targets name their own address
    const address =
      options.address ??
      this.listeners.find((l) => !l.http)?.address ??
      (targets.every((t) => t.address !== undefined) ? targets[0]?.address : undefined);
    if (address === undefined)
      throw new RpcError(
        'INVALID',
        'subscribe() needs a uwsgi socket to announce: listen() first, or give options.address',
      );
    const grace = resolveUnsubscribeGrace(options);
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
   * Unsubscribes (see subscribe()), then stops accepting, closes idle connections at once, lets in-flight calls finish
   * and
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

  /** Looks for connections past a timeout (socket-timeout, keepalive-timeout, harakiri). */
  private startSweep(): void {
    const every = sweepInterval(this.limits);
    if (this.sweeper !== null || every === 0) return;
    this.sweeper = setInterval(() => {
      this.clock = performance.now();
      // The clock a connection read was up to one interval old: look back that much more.
      const now = this.clock - every;
      for (const c of this.connections) c.check(now);
      this.table.logFull(this.clock);
      this.httpTable.logFull(this.clock);
    }, every);
    this.sweeper.unref();
  }

  private async shutdown(): Promise<void> {
    if (this.subscriber !== null) await this.subscriber.subscriber.stop(this.subscriber.grace);
    this.draining = true;
    const stopped = this.listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())));
    for (const l of this.listeners) l.dropHandshakes?.();
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
    if (this.http !== null) await (await this.http).close();
  }

  private httpService(): Promise<HttpService> {
    this.http ??= this.httpSetup();
    return this.http;
  }

  private async connectionHost(): Promise<ConnectionHost> {
    if (this.host) return this.host;
    const codec = await this.codecReady;
    const self = this;
    this.host ??= {
      codec,
      registry: this.registry,
      log: this.log,
      http: () => self.httpService(),
      limits: this.limits,
      closeLone: this.closeLone,
      counters: this.counters,
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
  if (!(await runtimeFeatures()).reusePort)
    throw new RpcError(
      'INVALID',
      `reusePort: this runtime (Node ${process.versions.node}) cannot share a port between processes (Node 22.12+ can)`,
    );
  return true;
}

/** options.tls (TCP or unix sockets, as uWSGI's --ssl-socket). */
function checkTls(options: ListenOptions): ServerTlsOptions | null {
  return options.tls ?? null;
}

/** How often the server looks for timed-out connections: a quarter of the shortest timeout, 5 ms..1 s. */
function sweepInterval(l: ServerLimits): number {
  const times = [l.socketTimeout, l.requestTimeout, l.keepaliveTimeout, l.harakiri].filter((t) => t > 0);
  if (times.length === 0) return 0;
  return Math.min(1000, Math.max(5, Math.floor(Math.min(...times) / 4)));
}
