// RpcServer: listens on uwsgi and HTTP sockets, hands each accepted connection to a Connection,
// subscribes to routers, and closes gracefully; its options are resolved in options.ts.
import type { Server as HttpServer } from 'node:http';
import { chmodSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { type SocketAddress, formatAddress, parseAddress } from '../address/address.js';
import type { Bytes, Input } from '../codec/bytes.js';
import type { Codec } from '../codec/codec.js';
import { createCodec } from '../codec/create.js';
import type { Registry, RpcFunction } from '../functions/registry.js';
import { type Catalog, isCatalog } from '../typed/catalog.js';
import { RpcError } from '../rpc-error.js';
import { type SubscribeTarget, parseSubscribeTo } from '../subscription/spec.js';
import { Subscriber } from '../subscription/subscriber.js';
import type { AllowList } from './allow.js';
import { Connection, type ConnectionHost } from './connection.js';
import { createHttpFront } from './http-front.js';
import { HttpService } from './http-service.js';
import { bind } from './listen.js';
import type { LogLine } from './log.js';
import {
  type HttpListenOptions,
  type ListenOptions,
  type RpcServerOptions,
  type ServerLimits,
  type SubscribeOptions,
  resolveHttpListen,
  resolveServerOptions,
  resolveUnsubscribeGrace,
} from './options.js';
import { runtimeFeatures } from './runtime.js';

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
    const config = resolveServerOptions(options);
    this.limits = config.limits;
    this.allowed = config.allow;
    this.chmodSocket = config.chmodSocket;
    this.registry = config.registry;
    this.log = config.log;
    this.closeTimeout = config.closeTimeout;
    this.http = new HttpService(this.registry, config.router, this.log, config.http);
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
      } else if (this.connections.size >= this.limits.maxConns) this.refuseConnection(socket, bound);
      else this.connections.add(new Connection(socket, host, bound));
    });
    const port = await bind(server, where, { backlog: this.limits.backlog, reusePort });
    bound = formatAddress(where.kind === 'tcp' ? { ...where, port } : where);
    if (this.closing) {
      server.close();
      throw new RpcError('INVALID', 'the server was closed while listening');
    }
    if (where.kind === 'unix' && this.chmodSocket !== undefined && !where.path.startsWith('\0'))
      chmodSync(where.path, this.chmodSocket);
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
    const bridge = resolveHttpListen(options);
    const where = parseAddress(address);
    const reusePort = await checkReusePort(where, options);
    const server = createHttpFront(this.http, bridge, this.log, this.limits.bufferSize);
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
  async subscribe(
    subscribeTo: string | readonly (string | SubscribeTarget)[],
    options: SubscribeOptions = {},
  ): Promise<Subscriber> {
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
        this.log(
          `max-conns: ${this.refusedConns} connection${this.refusedConns === 1 ? '' : 's'} refused while full; taking new ones again`,
        );
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
  if (!(await runtimeFeatures()).reusePort)
    throw new RpcError(
      'INVALID',
      `reusePort: this runtime (Node ${process.versions.node}) cannot share a port between processes (Node 22.12+ can)`,
    );
  return true;
}

/** How often the server looks for timed-out connections: a quarter of the shortest timeout, 5 ms..1 s. */
function sweepInterval(l: ServerLimits): number {
  const times = [l.socketTimeout, l.keepaliveTimeout, l.harakiri].filter((t) => t > 0);
  if (times.length === 0) return 0;
  return Math.min(1000, Math.max(5, Math.floor(Math.min(...times) / 4)));
}
