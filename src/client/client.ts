// RpcClient: calls functions on uWSGI nodes, our server or locally; pools per node, streams, fan-out and split.
import type { Codec } from '../codec/codec.js';
import type { Input } from '../codec/bytes.js';
import { createCodec, createCodecSync } from '../codec/create.js';
import { MODIFIER2 } from '../codec/constants.js';
import { RpcError } from '../rpc-error.js';
import { type Catalog, isCatalog } from '../typed/catalog.js';
import { DISCOVER } from '../typed/openrpc.js';
import { catalogFromOpenRpc } from '../typed/from-openrpc.js';
import { type Bound, bindCatalog } from './bind.js';
import { defaultRegistry, type Registry } from '../functions/registry.js';
import { asRpcError, requestError } from './errors.js';
import { fanout, type FanoutResult } from './fanout.js';
import { callLocal } from './local-call.js';
import { type NodeAddress, TLS_SCHEME, parseNode } from '../address/address.js';
import { NodePool } from './node-pool.js';
import { type CallOptions, type ClientConfig, type ClientOptions, checkTimeout, resolveConfig } from './options.js';
import { PendingCall } from './pending-call.js';
import { Deadlines } from './deadlines.js';
import { streamCall } from './stream-call.js';
import { TlsDialer } from './tls.js';
import { type SplitCall, type SplitOptions, type SplitResult, Splitter } from './splitter.js';

const textDecoder = new TextDecoder();
/** Node strings whose parsed address is kept (see resolveNode); past this many the cache starts over. */
const MAX_CACHED_NODES = 1024;

function isEmpty(v: unknown): boolean {
  return (typeof v === 'string' || v instanceof Uint8Array) && v.length === 0;
}

/**
 * uWSGI can never receive an empty arg: its parser skips zero-length items, and a request
 * whose LAST item is empty is rejected outright (no answer). Trailing empty args are
 * therefore dropped before encoding, so such calls still work; empty args in the middle
 * are sent as they are (uWSGI, and our server, skip them).
 */
function dropTrailingEmpty(args: readonly Input[]): readonly Input[] {
  let n = args.length;
  while (n > 0 && isEmpty(args[n - 1])) n--;
  return n === args.length ? args : args.slice(0, n);
}

/**
 * Calls RPC functions on uWSGI nodes (any language plugin), on our own server, or locally.
 * Rejects only with RpcError.
 */
export class RpcClient {
  readonly config: ClientConfig;
  private codec: Codec | null;
  private codecLoading: Promise<Codec> | null = null;
  private readonly registry: Registry;
  private readonly pools = new Map<string, NodePool>();
  /** Node strings as given to call() and their parsed addresses. */
  private readonly addresses = new Map<string, NodeAddress>();
  /** TLS nodes' dialers by pooling key: one secure context and session per node. */
  private readonly dialers = new Map<string, TlsDialer>();
  /** The timeouts of every call in flight, on one timer. */
  private readonly deadlines = new Deadlines(true);
  /** keepAlive: when idle pooled connections close; never holds the process. */
  private readonly idle = new Deadlines(false);
  private closed = false;

  constructor(options: ClientOptions = {}) {
    this.config = resolveConfig(options);
    this.registry = options.registry ?? defaultRegistry;
    const engine = options.engine ?? 'auto';
    if (options.codec) {
      this.codec = options.codec;
    } else if (engine === 'ts') {
      this.codec = createCodecSync();
    } else {
      // 'auto' works with the TS codec until WASM is ready; 'wasm' waits for it.
      this.codec = engine === 'auto' ? createCodecSync() : null;
      this.codecLoading = createCodec({ engine });
      this.codecLoading.then(
        (c) => {
          this.codec = c;
        },
        () => {},
      );
    }
  }

  /**
   * Calls `name(...args)` on `node` ('host:port', ':port', '[v6]:port', a unix socket path;
   * null or '' for a local call) and resolves with the result's bytes.
   */
  async call(
    node: string | null,
    name: Input,
    args: readonly Input[] = [],
    options: CallOptions = {},
  ): Promise<Uint8Array> {
    const label = typeof node === 'string' ? node : '';
    try {
      const { timeout, signal, address } = this.begin(node, label, args, options);
      if (address === null) return await callLocal(this.registry, name, args, timeout, signal, this.deadlines);
      // no await once the codec is loaded: a promise layer less per call
      const packet = this.encode(this.codec ?? (await this.loadCodec()), label, name, args, options);
      return await this.send(address, label, packet, options.raw === true, timeout, signal);
    } catch (err) {
      throw asRpcError(err, label);
    }
  }

  /**
   * Like call(), but the result's bytes are yielded as they arrive, so a result of any size
   * (maxResponse does not apply) is never held whole: `for await (const chunk of
   * client.stream(node, name, args))`. The call is made when iteration starts, on a
   * connection of its own (plain, 64-bit and raw answers), closed when iteration ends
   * (also by break). `timeout` bounds each wait for the server, connecting and the header,
   * then every chunk: the clock stops while the caller holds a chunk. Fails with the same
   * RpcErrors as call(); a local call (node null) yields its whole result once.
   */
  async *stream(
    node: string | null,
    name: Input,
    args: readonly Input[] = [],
    options: CallOptions = {},
  ): AsyncGenerator<Uint8Array, void, undefined> {
    const label = typeof node === 'string' ? node : '';
    try {
      const { timeout, signal, address } = this.begin(node, label, args, options);
      if (address === null) {
        yield await callLocal(this.registry, name, args, timeout, signal, this.deadlines);
        return;
      }
      const codec = this.codec ?? (await this.loadCodec());
      const packet = this.encode(codec, label, name, args, options);
      yield* streamCall(
        codec,
        address,
        this.dialer(address, label),
        label,
        packet,
        options.raw === true,
        timeout,
        signal,
        this.deadlines,
      );
    } catch (err) {
      throw asRpcError(err, label);
    }
  }

  /** What call() and stream() check before anything else: the client, options, node. */
  private begin(node: string | null, label: string, args: readonly Input[], options: CallOptions) {
    if (this.closed) throw new RpcError('INVALID', 'the client is closed', label);
    const timeout = options.timeout === undefined ? this.config.timeout : checkTimeout(options.timeout, 'timeout');
    const signal = options.signal;
    if (signal?.aborted)
      throw new RpcError('ABORTED', `${label || 'local call'}: aborted before it started`, label, {
        cause: signal.reason,
      });
    if (!Array.isArray(args)) throw new RpcError('INVALID', 'args must be an array', label);
    return { timeout, signal, address: this.resolveNode(node) };
  }

  /** The node's address; a node named in nodeTls is a TLS node. Cached: parsing it was a fifth of a call's CPU. */
  private resolveNode(node: string | null): NodeAddress | null {
    if (node === null || node === '') return null;
    const known = this.addresses.get(node);
    if (known !== undefined) return known;
    const a = this.parseNodeAddress(node);
    if (a === null) return null;
    // many distinct nodes (a fan-out over thousands) must not grow it without bound
    if (this.addresses.size >= MAX_CACHED_NODES) this.addresses.clear();
    this.addresses.set(node, a);
    return a;
  }

  private parseNodeAddress(node: string): NodeAddress | null {
    const a = parseNode(node);
    if (a === null || a.tls || a.kind !== 'tcp') return a;
    const key = `${TLS_SCHEME}${a.key}`;
    return this.config.nodeTls.has(key) ? { ...a, tls: true, key } : a;
  }

  /** How to open TLS connections to `address` (null: plain); bad PEM in the settings rejects with TLS. */
  private dialer(address: NodeAddress, label: string): TlsDialer | null {
    if (!address.tls) return null;
    let d = this.dialers.get(address.key);
    if (d === undefined) {
      try {
        d = new TlsDialer(this.config.nodeTls.get(address.key) ?? this.config.tls);
      } catch (err) {
        throw new RpcError('TLS', `${label}: cannot load the TLS settings: ${(err as Error).message}`, label, {
          cause: err,
        });
      }
      this.dialers.set(address.key, d);
    }
    return d;
  }

  /** The request packet (TOO_LARGE and friends before anything is sent). */
  private encode(codec: Codec, label: string, name: Input, args: readonly Input[], options: CallOptions): Uint8Array {
    try {
      return codec.encodeRequest(name, dropTrailingEmpty(args), options.raw === true ? MODIFIER2.RAW : MODIFIER2.UWSGI);
    } catch (err) {
      throw requestError(err, label);
    }
  }

  /**
   * Typed methods for the functions of `catalog` (defineFunctions, or `discover()`'s) on
   * `node`: `await api.add(2, 3)` is 5. Args are checked before anything is sent (INVALID_ARGS
   * with the position and reason); results are read by their types (MALFORMED when they do not fit).
   */
  bind<C extends Catalog>(node: string | null, catalog: C, options: CallOptions = {}): Bound<C> {
    if (!isCatalog(catalog))
      throw new RpcError('INVALID', 'bind(node, catalog): catalog is not from defineFunctions', node ?? '');
    return bindCatalog((n, name, args, o) => this.call(n, name, args, o), node, catalog, options);
  }

  /**
   * The typed functions of `node` from its `rpc.discover` (OpenRPC document), as a catalog for
   * bind(); untyped functions are left out. t.json() values are not validated beyond JSON.
   */
  async discover(node: string | null, options: CallOptions = {}): Promise<Catalog> {
    const text = textDecoder.decode(await this.call(node, DISCOVER, [], options));
    try {
      return catalogFromOpenRpc(JSON.parse(text));
    } catch (err) {
      throw new RpcError('MALFORMED', `${node ?? 'local call'}: rpc.discover: ${(err as Error).message}`, node ?? '', {
        cause: err,
      });
    }
  }

  /** `call(node, name, args)`: the result's bytes. */
  rpc(node: string | null, name: Input, ...args: Input[]): Promise<Uint8Array> {
    return this.call(node, name, args);
  }

  /** `call(node, name, args)`: the result as UTF-8 text. */
  async rpcText(node: string | null, name: Input, ...args: Input[]): Promise<string> {
    return textDecoder.decode(await this.call(node, name, args));
  }

  /** The same call on every node in parallel; one result per node, in node order. Never rejects. */
  fanout(
    nodes: readonly (string | null)[],
    name: Input,
    args: readonly Input[] = [],
    options: CallOptions = {},
  ): Promise<FanoutResult[]> {
    return fanout(this, nodes, name, args, options);
  }

  /** Spreads `calls` over `nodes` (see Splitter); results in input order. */
  async split(
    nodes: readonly (string | null)[],
    calls: readonly SplitCall[],
    options: SplitOptions = {},
  ): Promise<SplitResult[]> {
    return new Splitter(this, nodes, options).run(calls);
  }

  /** What the client has learned about a node with keepAlive ('unknown' until then). */
  nodeBehaviour(node: string): 'unknown' | 'keeps' | 'closes' {
    const address = this.resolveNode(node);
    return address === null ? 'unknown' : (this.pools.get(address.key)?.behaviour ?? 'unknown');
  }

  /** Stops new calls, lets calls in flight finish, then closes every pooled connection. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.deadlines.stopIfIdle();
    this.idle.stopIfIdle();
  }

  /** `await using client = new RpcClient()`: close() at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private send(
    address: NodeAddress,
    label: string,
    packet: Uint8Array,
    raw: boolean,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    let pool = this.pools.get(address.key);
    if (pool === undefined) {
      pool = new NodePool(
        address,
        this.dialer(address, label),
        this.config,
        () => this.codec!,
        this.idle,
        (p) => this.dropPool(p),
      );
      this.pools.set(address.key, pool);
    }
    const target = pool;
    return new Promise<Uint8Array>((resolve, reject) => {
      const call = new PendingCall(label, packet, raw, resolve, reject);
      call.arm(timeout, signal, this.deadlines);
      target.dispatch(call);
    });
  }

  /** Per-call mode keeps no state per node; keepAlive keeps what it learned. */
  private dropPool(pool: NodePool): void {
    if (!this.config.keepAlive && this.pools.get(pool.address.key) === pool) this.pools.delete(pool.address.key);
  }

  private async loadCodec(): Promise<Codec> {
    try {
      return (this.codec = await this.codecLoading!);
    } catch (err) {
      throw new RpcError('INVALID', `the codec engine cannot load: ${(err as Error).message}`, '', { cause: err });
    }
  }
}
