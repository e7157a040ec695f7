import { type Server, type Socket, createServer } from 'node:net';
import { type Bytes, type Codec, type EngineChoice, type Input, createCodec } from '../codec/index.js';
import { RpcError } from '../rpc-error.js';
import { formatAddress, parseAddress } from './address.js';
import { Connection, type ConnectionHost } from './connection.js';
import { bind } from './listen.js';
import { type LogLine, stderrLog } from './log.js';
import { Registry, type RpcFunction, defaultRegistry } from './registry.js';

export interface RpcServerOptions {
  /** Where functions live. Default: the package's `defaultRegistry`, which `register()` fills. */
  registry?: Registry;
  /** Codec engine: 'auto' (default), 'wasm' or 'ts'. */
  engine?: EngineChoice;
  /** One line per failed request or other event. Default: a line on stderr. */
  log?: LogLine;
  /** How long close() lets in-flight calls run before dropping their connections (ms). */
  closeTimeout?: number;
}

export const DEFAULT_CLOSE_TIMEOUT = 10_000;

interface Listener {
  server: Server;
  address: string;
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

  constructor(options: RpcServerOptions = {}) {
    this.registry = options.registry ?? defaultRegistry;
    this.log = options.log ?? stderrLog;
    const t = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    if (!(t >= 0)) throw new RpcError('INVALID', `closeTimeout ${t}`);
    this.closeTimeout = t;
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

  /** The codec engine serving requests, once listen() has resolved. */
  get engine(): 'wasm' | 'ts' | undefined {
    return this.host?.codec.engine;
  }

  /**
   * Listens on `host:port`, `:port` (127.0.0.1) or a unix socket path (anything with a `/`;
   * a stale socket file nothing answers on is replaced). Call it again for more sockets.
   * Resolves with the bound address (the real port when 0 was asked).
   */
  async listen(address: string | number): Promise<string> {
    if (this.closing) throw new RpcError('INVALID', 'the server is closed');
    const where = parseAddress(address);
    const host = await this.connectionHost();
    const server = createServer({ noDelay: true });
    const port = await bind(server, where);
    const bound = formatAddress(where.kind === 'tcp' ? { ...where, port } : where);
    if (this.closing) {
      server.close();
      throw new RpcError('INVALID', 'the server was closed while listening');
    }
    server.on('connection', (socket: Socket) => {
      // accepted just before close() stopped the listener: nothing will drain it
      if (this.closing) socket.destroy();
      else this.connections.add(new Connection(socket, host, bound));
    });
    server.on('error', (err) => this.log(`${bound}: ${err.message}`));
    this.listeners.push({ server, address: bound });
    return bound;
  }

  /**
   * Stops accepting, closes idle connections at once, lets in-flight calls finish and
   * their answers go out (at most `closeTimeout` ms, then drops what is left), and resolves
   * when every socket is closed.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const stopped = this.listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())));
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
    await Promise.all(stopped);
  }

  private async connectionHost(): Promise<ConnectionHost> {
    if (this.host) return this.host;
    const codec = await this.codecReady;
    this.host ??= {
      codec,
      registry: this.registry,
      log: this.log,
      closed: (c) => {
        this.connections.delete(c);
        if (this.connections.size === 0 && this.allClosed) this.allClosed();
      },
    };
    return this.host;
  }
}
