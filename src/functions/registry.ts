// The function registry: RPC functions by name (any 1..255 bytes), and calling one here without a socket.
import { type Bytes, type Input, latin1, toBytes } from '../codec/bytes.js';
import { MAX_NAME } from '../codec/constants.js';
import { resultBytes } from './results.js';
import { TextBytes } from './text-bytes.js';
import { RpcError } from '../rpc-error.js';
import { gather, isSized, type SizedStream } from './sized.js';
import { type Catalog, type FunctionSig, entries, isCatalog } from '../typed/catalog.js';
import { DISCOVER, type Described, openRpcDocument } from '../typed/openrpc.js';
import { t } from '../typed/types.js';
import { InvalidArgs, wireFunction } from './typed-function.js';
import { type FunctionCounts, FunctionStats } from './function-stats.js';

/** A function's result: text (sent as UTF-8), bytes, or a SizedStream for results too big to hold. */
export type RpcResult = string | Uint8Array | SizedStream;
/** An RPC function: binary-string args in (as TextBytes), one binary string out. */
export type RpcFunction = (...args: TextBytes[]) => RpcResult | Promise<RpcResult>;

/** A registered function, its name as registered, and its counters. */
export interface RegistryEntry {
  readonly fn: RpcFunction;
  readonly name: string;
  readonly stats: FunctionStats;
}

/**
 * Functions by name (1..255 bytes, any bytes: `__proto__` is a name like any other).
 * Registering a name again replaces the function, as uWSGI does.
 */
export class Registry {
  /** Keyed by the name's bytes as latin1 text: every byte kept, and a Map has no prototype names. */
  private readonly fns = new Map<string, RegistryEntry>();
  /** The specs of typed functions (by the same keys); untyped functions have none. */
  private readonly specs = new Map<string, FunctionSig>();
  /** The key of the rpc.discover this registry added itself (left out of its own document). */
  private discoverKey: string | null = null;

  /**
   * Registers a function, or (one argument) every function of a typed catalog from
   * defineFunctions. The first catalog also registers `rpc.discover` (an OpenRPC document
   * of every function here), unless a function of that name is already registered.
   */
  register(catalog: Catalog): this;
  register(name: Input, fn: RpcFunction): this;
  register(name: Input | Catalog, fn?: RpcFunction): this {
    if (isCatalog(name)) return this.registerCatalog(name);
    return this.registerOne(name, fn as RpcFunction, null);
  }

  private registerCatalog(catalog: Catalog): this {
    const defs = entries(catalog);
    for (const [name, def] of defs)
      if (def.run === undefined)
        throw new RpcError(
          'INVALID',
          `register(catalog): ${JSON.stringify(name)} has no run (a catalog for calling only)`,
        );
    for (const [name, def] of defs) this.registerOne(name, wireFunction(name, def), def);
    if (!this.has(DISCOVER)) {
      this.registerOne(DISCOVER, () => JSON.stringify(openRpcDocument(this.described())), {
        args: [],
        result: t.json(),
        doc: 'The OpenRPC document of the functions of this node',
      });
      this.discoverKey = DISCOVER;
    }
    return this;
  }

  private registerOne(name: Input, fn: RpcFunction, spec: FunctionSig | null): this {
    if (typeof fn !== 'function') throw new RpcError('INVALID', `register(${String(name)}): fn is not a function`);
    if (typeof name !== 'string' && !(name instanceof Uint8Array))
      throw new RpcError('INVALID', 'register: name is not a string or Uint8Array');
    const b = toBytes(name);
    if (b.length === 0 || b.length > MAX_NAME) {
      throw new RpcError('INVALID', `register: the name must be 1..${MAX_NAME} bytes, got ${b.length}`);
    }
    const key = latin1(b);
    // a function replaced under its name keeps the name's counters
    const shown = typeof name === 'string' ? name : new TextDecoder().decode(b);
    const stats = this.fns.get(key)?.stats ?? new FunctionStats(shown);
    this.fns.set(key, { fn, name: shown, stats });
    if (spec === null) this.specs.delete(key);
    else this.specs.set(key, spec);
    if (key === this.discoverKey && spec === null) this.discoverKey = null;
    return this;
  }

  unregister(name: Input): boolean {
    const key = latin1(toBytes(name));
    this.specs.delete(key);
    if (key === this.discoverKey) this.discoverKey = null;
    return this.fns.delete(key);
  }

  /** The spec of a typed function (args, result, doc), or undefined for an untyped or unknown one. */
  spec(name: Input): FunctionSig | undefined {
    return this.specs.get(latin1(toBytes(name)));
  }

  /** Whether any typed function is registered here. */
  get typed(): boolean {
    return this.specs.size > 0;
  }

  /** Every function here with its spec (null: untyped), for introspection; the built-in rpc.discover is left out. */
  described(): Described[] {
    const out: Described[] = [];
    for (const [key, { name }] of this.fns) {
      if (key !== this.discoverKey) out.push({ name, sig: this.specs.get(key) ?? null });
    }
    return out;
  }

  /** The function for a name's bytes, or undefined. */
  lookup(name: Uint8Array): RpcFunction | undefined {
    return this.fns.get(latin1(name))?.fn;
  }

  /** The entry (function and counters) for a name's bytes, or undefined. */
  entry(name: Uint8Array): RegistryEntry | undefined {
    return this.fns.get(latin1(name));
  }

  /** Each function's counters by name (as registered), as plain numbers. */
  counts(): Record<string, FunctionCounts> {
    const out: Record<string, FunctionCounts> = {};
    for (const { name, stats: s } of this.fns.values()) {
      out[name] = {
        calls: s.calls,
        threw: s.threw,
        empty: s.empty,
        bad_args: s.bad_args,
        harakiri: s.harakiri,
        latency: [...s.latency],
        latencySum: s.latencySum,
      };
    }
    return out;
  }

  has(name: Input): boolean {
    return this.fns.has(latin1(toBytes(name)));
  }

  /** Registered names (as registered). */
  names(): string[] {
    return [...this.fns.values()].map((e) => e.name);
  }

  get size(): number {
    return this.fns.size;
  }

  /**
   * Calls a function here, without any socket (uWSGI's uwsgi.call / rpc(None, ...)).
   * Returns its result as bytes, which may be empty; throws NOT_FOUND or FUNCTION_FAILED.
   */
  async call(name: Input, ...args: Input[]): Promise<Bytes> {
    const b = toBytes(name);
    const fn = this.lookup(b);
    if (fn === undefined) throw new RpcError('NOT_FOUND', `no RPC function "${new TextDecoder().decode(b)}"`);
    const argv = args.map((a) => {
      const bytes = toBytes(a);
      return new TextBytes(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length);
    });
    let result: unknown;
    try {
      result = await fn(...argv);
      // Here the whole result is needed: a stream is gathered (its size was declared).
      if (isSized(result)) result = await gather(result);
    } catch (err) {
      // a typed function's args did not fit: it did not run, and the caller is told why
      if (err instanceof InvalidArgs) throw err;
      throw new RpcError(
        'FUNCTION_FAILED',
        `RPC function "${new TextDecoder().decode(b)}" failed: ${(err as Error)?.message ?? String(err)}`,
        '',
        { cause: err },
      );
    }
    return resultBytes(result);
  }
}

/** The process-wide registry: `register` from the package, and local calls (`rpc(null, ...)`). */
export const defaultRegistry = new Registry();

/** Registers a function (or every function of a typed catalog) in the default registry. */
export function register(catalog: Catalog): void;
export function register(name: Input, fn: RpcFunction): void;
export function register(name: Input | Catalog, fn?: RpcFunction): void {
  if (isCatalog(name)) defaultRegistry.register(name);
  else defaultRegistry.register(name, fn as RpcFunction);
}
