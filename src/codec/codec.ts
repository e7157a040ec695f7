// The Codec: the public encode/decode surface over a kernel (WASM or TS), views over the caller's bytes, and
// CodecErrors worded with the caller's numbers.
import { type Bytes, type Input, checkInput, checkInputs, toBytes } from './bytes.js';
import { HEADER_SIZE, MAX_BODY } from './constants.js';
import { type DecoderOptions, FrameDecoder, type ViewClass } from './decoder.js';
import { CodecError } from './errors.js';
import type { Kernel } from './kernel.js';
import { HEAD } from './kernel-spec.generated.js';
import {
  refusedArray,
  refusedDecode,
  refusedHeader,
  refusedRequest,
  refusedResponse,
  refusedVars,
  shortHeader,
} from './refusals.js';

export type Engine = 'wasm' | 'ts';

export interface Header {
  modifier1: number;
  datasize: number;
  modifier2: number;
}

export interface DecodedRequest {
  modifier1: number;
  modifier2: number;
  /** Views over the packet passed in (no copy). */
  name: Bytes;
  args: Bytes[];
}

export interface DecodedResponse {
  modifier1: number;
  /** 0 for the plain form, 5 for the 64-bit form. */
  modifier2: number;
  result: Bytes;
}

/** How a codec splits the work between its engines (auto: by measurement). */
export interface EnginePlan {
  /** Single packets, arrays, vars, every encode, and frames-only stream scans. */
  single: Kernel;
  /** Stream scans that parse items too, on chunks of at least `batchThreshold` bytes. */
  batch: Kernel;
  batchThreshold: number;
}

function checkModifier(m: unknown, what: string): asserts m is number {
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 0 || m > 255) {
    throw new CodecError('INVALID_MODIFIER', `${what} ${String(m)} is not an integer 0..255`);
  }
}

function view(b: Uint8Array, off: number, len: number): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + off, len);
}

/**
 * The uwsgi codec. Both engines sit behind this one class: it validates inputs, calls a
 * kernel, and turns the kernel's offset table into views over the caller's bytes.
 */
export class Codec {
  /** The engine doing the work ('wasm' when an auto codec could load it). */
  readonly engine: Engine;
  private readonly plan: EnginePlan;
  private readonly k: Kernel;

  constructor(engine: Engine, plan: EnginePlan) {
    this.engine = engine;
    this.plan = plan;
    this.k = plan.single;
  }

  encodeHeader(modifier1: number, datasize: number, modifier2: number): Bytes {
    checkModifier(modifier1, 'modifier1');
    checkModifier(modifier2, 'modifier2');
    if (!Number.isInteger(datasize) || datasize < 0)
      throw new CodecError('INVALID_INPUT', `datasize ${datasize} is not an integer >= 0`);
    try {
      return this.k.encodeHeader(modifier1, datasize, modifier2);
    } catch (err) {
      throw refusedHeader(err, datasize);
    }
  }

  decodeHeader(bytes: Input): Header {
    const b = toBytes(bytes);
    const r = this.k.decodeHeader(b);
    if (r < 0) throw refusedDecode(r, b, true);
    const t = this.k.table();
    return { modifier1: t[1], datasize: t[2], modifier2: t[3] };
  }

  /** Header (173, size, modifier2) + [name, ...args]. Refuses, never truncates. */
  encodeRequest(name: Input, args: readonly Input[] = [], modifier2 = 0): Bytes {
    checkInput(name, 'name');
    checkInputs(args, 'args');
    checkModifier(modifier2, 'modifier2');
    try {
      return this.k.encodeRequest(name, args, modifier2);
    } catch (err) {
      throw refusedRequest(err, name, args);
    }
  }

  decodeRequest(packet: Input): DecodedRequest {
    checkInput(packet, 'packet');
    const b = toBytes(packet);
    const k = this.k;
    const n = k.decodeRequest(b);
    if (n < 0) throw refusedDecode(n, b, true);
    const t = k.table();
    const args: Bytes[] = new Array(n - 1);
    for (let i = 1, e = HEAD + 2; i < n; i++, e += 2) args[i - 1] = view(b, t[e], t[e + 1]);
    return { modifier1: t[1], modifier2: t[2], name: view(b, t[HEAD], t[HEAD + 1]), args };
  }

  /**
   * A whole answer in one buffer: modifier2 0 gives the plain form up to 65535 bytes and
   * the 64-bit form (modifier2 5 + CONTENT_LENGTH dict) above; 1 gives the raw bytes;
   * 5 forces the 64-bit form.
   */
  encodeResponse(result: Input, modifier2 = 0): Bytes {
    checkInput(result, 'result');
    checkModifier(modifier2, 'modifier2');
    try {
      return this.k.encodeResponse(result, modifier2);
    } catch (err) {
      throw refusedResponse(err, modifier2);
    }
  }

  /** Only what precedes a result of `size` bytes, to write header and body apart (writev). */
  encodeResponseHeader(size: number, modifier2 = 0): Bytes {
    if (!Number.isSafeInteger(size) || size < 0)
      throw new CodecError('INVALID_INPUT', `size ${size} is not an integer >= 0`);
    checkModifier(modifier2, 'modifier2');
    try {
      return this.k.encodeResponseHeader(size, modifier2);
    } catch (err) {
      throw refusedResponse(err, modifier2);
    }
  }

  /** One complete framed answer (plain or 64-bit form); nothing may follow it. */
  decodeResponse(packet: Input): DecodedResponse {
    checkInput(packet, 'packet');
    const b = toBytes(packet);
    if (b.length < HEADER_SIZE) throw shortHeader(b.length);
    const d = this.createDecoder({ response: true, maxFrame: Math.max(b.length, MAX_BODY) });
    const frames = d.push(b);
    if (frames.length === 0)
      throw new CodecError(
        'SIZE_MISMATCH',
        `the answer is cut short: its header announces more than the ${b.length} bytes given`,
      );
    if (frames.length > 1 || d.buffered !== 0)
      throw new CodecError('SIZE_MISMATCH', 'more bytes follow the answer its header announces');
    const f = frames[0];
    return { modifier1: f.modifier1, modifier2: f.modifier2, result: f.body };
  }

  encodeArray(items: readonly Input[]): Bytes {
    checkInputs(items, 'items');
    try {
      return this.k.encodeArray(items);
    } catch (err) {
      throw refusedArray(err, items);
    }
  }

  /** Items as views over `body` (zero-length items skipped), made by `as` if given. */
  decodeArray<V extends Uint8Array = Uint8Array>(body: Input, as?: ViewClass<V>): V[] {
    checkInput(body, 'body');
    const b = toBytes(body);
    const k = this.k;
    const n = k.decodeArray(b);
    if (n < 0) throw refusedDecode(n, b, false);
    const t = k.table();
    const items: V[] = new Array(n);
    const Ctor = (as ?? Uint8Array) as ViewClass<V>;
    const buf = b.buffer as ArrayBuffer;
    const base = b.byteOffset;
    for (let i = 0, e = HEAD; i < n; i++, e += 2) items[i] = new Ctor(buf, base + t[e], t[e + 1]);
    return items;
  }

  encodeVars(pairs: readonly (readonly [Input, Input])[]): Bytes {
    if (!Array.isArray(pairs)) throw new CodecError('INVALID_INPUT', 'pairs is not an array');
    for (let i = 0; i < pairs.length; i++) {
      const p = pairs[i];
      if (!Array.isArray(p) || p.length !== 2)
        throw new CodecError('INVALID_INPUT', `pairs[${i}] is not a [key, value] pair`);
      checkInput(p[0], `pairs[${i}][0]`);
      checkInput(p[1], `pairs[${i}][1]`);
    }
    try {
      return this.k.encodeVars(pairs);
    } catch (err) {
      throw refusedVars(err, pairs);
    }
  }

  decodeVars(body: Input): [Bytes, Bytes][] {
    checkInput(body, 'body');
    const b = toBytes(body);
    const k = this.k;
    const n = k.decodeVars(b);
    if (n < 0) throw refusedDecode(n, b, false);
    const t = k.table();
    const pairs: [Bytes, Bytes][] = new Array(n);
    for (let i = 0, e = HEAD; i < n; i++, e += 4) pairs[i] = [view(b, t[e], t[e + 1]), view(b, t[e + 2], t[e + 3])];
    return pairs;
  }

  /** A per-connection stream decoder (see FrameDecoder). */
  createDecoder<V extends Uint8Array = Uint8Array>(options: DecoderOptions<V> = {}): FrameDecoder<V> {
    const { single, batch, batchThreshold } = this.plan;
    const pick =
      batch === single || options.items !== true
        ? () => single
        : (len: number) => (len >= batchThreshold ? batch : single);
    return new FrameDecoder<V>(pick, this.k, options);
  }
}

export type { ViewClass };
