// The stream decoder: chunks of a uwsgi stream in, complete frames out, with where each ends.
import { CODES, type CodecErrorCode, MESSAGES, codeName } from './codes.js';
import { CONTENT_LENGTH, DEFAULT_MAX_FRAME, DEFAULT_MAX_RESPONSE, MODIFIER2 } from './constants.js';
import { CodecError } from './errors.js';
import type { Kernel } from './kernel.js';
import { HEAD, SCAN_DICT, SCAN_FULL } from './kernel-spec.generated.js';

export interface Frame<V extends Uint8Array = Uint8Array> {
  modifier1: number;
  modifier2: number;
  /** A view over the pushed chunk when the frame sat in one chunk, else an owned copy. */
  body: Uint8Array;
  /** With `items: true`: the body parsed as a uwsgi array (views over `body`'s bytes)... */
  items?: V[];
  /** ...or why it is not one (the body is still there: a vars dict, say). */
  itemsError?: CodecErrorCode;
}

export interface DecoderOptions<V extends Uint8Array = Uint8Array> {
  /** Read answers: a 64-bit-form answer (modifier2 5) is one frame whose body is the result. */
  response?: boolean;
  /** Largest body (or 64-bit-form result) accepted; larger fails with FRAME_TOO_LARGE. */
  maxFrame?: number;
  /**
   * Also parse each frame's body as an array (RPC requests), in the same pass over the
   * chunk: what the WASM kernel is fastest at. Not with `response`.
   */
  items?: boolean;
  /** The class item views are made with (e.g. TextBytes); Uint8Array by default. */
  itemClass?: ViewClass<V>;
}

/** What decoded views are made with: Uint8Array, or a subclass such as TextBytes. */
export type ViewClass<V extends Uint8Array = Uint8Array> = new (
  buffer: ArrayBuffer,
  byteOffset: number,
  length: number,
) => V;

/** Which kernel scans a chunk of `len` bytes (auto: WASM only for big chunks). */
export type ScanPicker = (len: number) => Kernel;

const CL_BYTES = new TextEncoder().encode(CONTENT_LENGTH);

/** A step's answer when the stream is malformed (the error is in `failed`). */
const FAULT = -1;

/**
 * A per-connection frame decoder: TCP chunks of any size and boundary in, complete frames
 * out. A chunk is scanned in place by a kernel; only a frame split across chunks is
 * copied (into `pending`), and a 64-bit-form result is gathered into one buffer of
 * exactly its CONTENT_LENGTH. decode() never throws (see `error`, and end() for where each
 * frame ends); push() is the same, throwing a malformed stream's error.
 */
export class FrameDecoder<V extends Uint8Array = Uint8Array> {
  private readonly response: boolean;
  private readonly maxFrame: number;
  private readonly items: boolean;
  private readonly itemClass: ViewClass<V>;
  private readonly pick: ScanPicker;
  private readonly dictKernel: Kernel;
  /** Bytes of an incomplete frame (header and all) carried over from earlier chunks. */
  private pending = new Uint8Array(0);
  private pendingLen = 0;
  /** A 64-bit-form result being gathered. */
  private raw: Uint8Array | null = null;
  private rawFilled = 0;
  private rawModifier1 = 0;
  private failed: CodecError | null = null;
  /** What the last decode() found wrong, or null. */
  private lastError: CodecError | null = null;
  /** Where each frame of the last decode() ends in its chunk (entries past its count are stale). */
  private readonly ends: number[] = [];

  constructor(pick: ScanPicker, dictKernel: Kernel, options: DecoderOptions<V> = {}) {
    this.pick = pick;
    this.dictKernel = dictKernel;
    this.response = options.response === true;
    this.items = options.items === true;
    if (this.items && this.response)
      throw new CodecError('INVALID_INPUT', 'the options items: true and response: true do not go together');
    this.itemClass = (options.itemClass ?? Uint8Array) as ViewClass<V>;
    const max = options.maxFrame ?? (this.response ? DEFAULT_MAX_RESPONSE : DEFAULT_MAX_FRAME);
    if (!Number.isSafeInteger(max) || max < 0)
      throw new CodecError('INVALID_INPUT', `maxFrame ${String(max)} is not an integer >= 0`);
    this.maxFrame = max;
  }

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.pendingLen + this.rawFilled;
  }

  /** Forget any partial frame and a past failure. */
  reset(): void {
    this.pending = new Uint8Array(0);
    this.pendingLen = 0;
    this.raw = null;
    this.rawFilled = 0;
    this.failed = null;
    this.lastError = null;
  }

  /** The complete frames of the stream so far; throws the CodecError of a malformed stream. */
  push(chunk: Uint8Array): Frame<V>[] {
    const frames = this.decode(chunk);
    if (this.lastError !== null) throw this.lastError;
    return frames;
  }

  /**
   * The complete frames of the stream so far (a fresh array, the caller's to keep). Never
   * throws: a malformed stream's CodecError is in `error`, the frames before the fault are
   * returned, and later calls return none until reset(). `end(i)` says where each ends.
   */
  decode(chunk: Uint8Array): Frame<V>[] {
    const frames: Frame<V>[] = [];
    this.lastError = null;
    if (this.failed !== null) {
      this.lastError = new CodecError(
        'DECODER_FAILED',
        `the stream decoder already failed (${this.failed.code}); reset() it or make a new one`,
      );
    } else if (!(chunk instanceof Uint8Array)) {
      this.lastError = new CodecError('INVALID_INPUT', 'chunk is not a Uint8Array');
    } else {
      let off = 0;
      const end = chunk.length;
      while (off < end) {
        if (this.raw !== null) off = this.fillRaw(chunk, off, frames);
        else if (this.pendingLen > 0) off = this.fillPending(chunk, off, frames);
        else off = this.scan(chunk, off, frames);
        if (off === FAULT) {
          this.lastError = this.failed;
          break;
        }
      }
    }
    return frames;
  }

  /** Why the last decode() found the stream malformed, or null. */
  get error(): CodecError | null {
    return this.lastError;
  }

  /**
   * Where frame `i` of the last decode() ends in its chunk: the bytes after it (an HTTP
   * request's body, say) start there. A frame begun in an earlier chunk ends in this one.
   */
  end(i: number): number {
    return this.ends[i];
  }

  private add(frames: Frame<V>[], frame: Frame<V>, end: number): void {
    this.ends[frames.push(frame) - 1] = end;
  }

  /** The stream is malformed: remembered (later chunks are refused), reported by decode(). */
  private fault(n: number, message?: string): number {
    this.failed = new CodecError(codeName(n), message);
    return FAULT;
  }

  private scan(chunk: Uint8Array, off: number, frames: Frame<V>[]): number {
    const end = chunk.length;
    const k = this.pick(end - off);
    if (this.items) return this.scanItems(k, chunk, off, frames);
    const r = k.scanFrames(chunk, off, end, this.maxFrame, this.response);
    const t = k.table();
    const n = t[0];
    const consumed = t[1];
    const status = t[2];
    const base = chunk.byteOffset + off;
    for (let i = 0, e = HEAD; i < n; i++, e += 4) {
      const at = t[e + 2];
      const len = t[e + 3];
      this.add(
        frames,
        { modifier1: t[e], modifier2: t[e + 1], body: new Uint8Array(chunk.buffer, base + at, len) },
        off + at + len,
      );
    }
    if (r < 0)
      return this.fault(
        r,
        this.tooLarge(`a frame's datasize is ${chunk[off + consumed + 1] | (chunk[off + consumed + 2] << 8)} bytes`),
      );
    off += consumed;
    if (status === SCAN_FULL) return off;
    if (status === SCAN_DICT) {
      const size = chunk[off + 1] | (chunk[off + 2] << 8);
      if (end - off >= 4 + size) return this.startRaw(chunk, off, size, off + 4 + size, frames);
    }
    this.keep(chunk.subarray(off, end));
    return end;
  }

  private scanItems(k: Kernel, chunk: Uint8Array, off: number, frames: Frame<V>[]): number {
    const end = chunk.length;
    const r = k.scanRequests(chunk, off, end, this.maxFrame);
    const t = k.table();
    const n = t[0];
    const consumed = t[1];
    const status = t[2];
    const buf = chunk.buffer as ArrayBuffer;
    const base = chunk.byteOffset + off;
    const V = this.itemClass;
    for (let i = 0, e = HEAD; i < n; i++) {
      const at = t[e + 2];
      const len = t[e + 3];
      const body = new Uint8Array(buf, base + at, len);
      const count = t[e + 4] | 0;
      if (count < 0) {
        this.add(frames, { modifier1: t[e], modifier2: t[e + 1], body, itemsError: codeName(count) }, off + at + len);
        e += 5;
        continue;
      }
      const items: V[] = new Array(count);
      for (let j = 0, x = e + 5; j < count; j++, x += 2) items[j] = new V(buf, base + t[x], t[x + 1]);
      this.add(frames, { modifier1: t[e], modifier2: t[e + 1], body, items }, off + at + len);
      e += 5 + 2 * count;
    }
    if (r < 0)
      return this.fault(
        r,
        this.tooLarge(`a frame's datasize is ${chunk[off + consumed + 1] | (chunk[off + consumed + 2] << 8)} bytes`),
      );
    off += consumed;
    if (status === SCAN_FULL) return off;
    this.keep(chunk.subarray(off, end));
    return end;
  }

  /** A frame assembled from several chunks: parse its items on their own. */
  private withItems(frame: Frame<V>): Frame<V> {
    const b = frame.body;
    const k = this.dictKernel;
    const n = k.decodeArray(b);
    if (n < 0) {
      frame.itemsError = codeName(n);
      return frame;
    }
    const t = k.table();
    const items: V[] = new Array(n);
    const V = this.itemClass;
    for (let i = 0, e = HEAD; i < n; i++, e += 2)
      items[i] = new V(b.buffer as ArrayBuffer, b.byteOffset + t[e], t[e + 1]);
    frame.items = items;
    return frame;
  }

  /** Completes the frame in `pending` from `chunk`; returns how far it read. */
  private fillPending(chunk: Uint8Array, off: number, frames: Frame<V>[]): number {
    if (this.pendingLen < 4) {
      const take = Math.min(4 - this.pendingLen, chunk.length - off);
      this.keep(chunk.subarray(off, off + take));
      off += take;
      if (this.pendingLen < 4) return off;
    }
    const size = this.pending[1] | (this.pending[2] << 8);
    const dict = this.response && this.pending[3] === MODIFIER2.DICT;
    if (!dict && size > this.maxFrame)
      return this.fault(CODES.FRAME_TOO_LARGE, this.tooLarge(`a frame's datasize is ${size} bytes`));
    const take = Math.min(4 + size - this.pendingLen, chunk.length - off);
    this.keep(chunk.subarray(off, off + take));
    off += take;
    if (this.pendingLen < 4 + size) return off;
    const p = this.pending;
    this.pendingLen = 0;
    if (dict) return this.startRaw(p, 0, size, off, frames);
    const frame: Frame<V> = { modifier1: p[0], modifier2: p[3], body: p.slice(4, 4 + size) };
    this.add(frames, this.items ? this.withItems(frame) : frame, off);
    return off;
  }

  /** FRAME_TOO_LARGE's sentence: what came, and this decoder's limit. */
  private tooLarge(what: string): string {
    return `${what}; this decoder's maxFrame is ${this.maxFrame}`;
  }

  private keep(bytes: Uint8Array): void {
    const need = this.pendingLen + bytes.length;
    if (need > this.pending.length) {
      const grown = new Uint8Array(Math.max(need, this.pending.length * 2, 64));
      grown.set(this.pending.subarray(0, this.pendingLen));
      this.pending = grown;
    }
    this.pending.set(bytes, this.pendingLen);
    this.pendingLen = need;
  }

  /**
   * A 64-bit-form header + dict at b[off..] (the chunk read up to `next`): reads
   * CONTENT_LENGTH, then gathers the result. Returns `next`, or FAULT.
   */
  private startRaw(b: Uint8Array, off: number, size: number, next: number, frames: Frame<V>[]): number {
    const length = contentLength(this.dictKernel, b.subarray(off + 4, off + 4 + size));
    if (length instanceof CodecError) {
      this.failed = length;
      return FAULT;
    }
    if (length > this.maxFrame)
      return this.fault(CODES.FRAME_TOO_LARGE, this.tooLarge(`the answer's CONTENT_LENGTH is ${length} bytes`));
    const m1 = b[off];
    if (length === 0) {
      this.add(frames, { modifier1: m1, modifier2: MODIFIER2.DICT, body: new Uint8Array(0) }, next);
      return next;
    }
    this.raw = new Uint8Array(length);
    this.rawModifier1 = m1;
    return next;
  }

  private fillRaw(chunk: Uint8Array, off: number, frames: Frame<V>[]): number {
    const raw = this.raw!;
    const take = Math.min(raw.length - this.rawFilled, chunk.length - off);
    raw.set(chunk.subarray(off, off + take), this.rawFilled);
    this.rawFilled += take;
    if (this.rawFilled === raw.length) {
      this.add(frames, { modifier1: this.rawModifier1, modifier2: MODIFIER2.DICT, body: raw }, off + take);
      this.raw = null;
      this.rawFilled = 0;
    }
    return off + take;
  }
}

/** CONTENT_LENGTH of a 64-bit-form dict (plain decimal digits, a safe integer), or why it has none. */
function contentLength(k: Kernel, dict: Uint8Array): number | CodecError {
  const n = k.decodeVars(dict);
  if (n < 0) return new CodecError(codeName(n), `the 64-bit answer's dict is malformed: ${MESSAGES[codeName(n)]}`);
  const t = k.table();
  for (let i = 0, e = HEAD; i < n; i++, e += 4) {
    if (t[e + 1] !== CL_BYTES.length || !same(dict, t[e], CL_BYTES)) continue;
    const vo = t[e + 2];
    const vl = t[e + 3];
    if (vl === 0 || vl > 16) break;
    let v = 0;
    for (let j = 0; j < vl; j++) {
      const c = dict[vo + j] - 48;
      if (c < 0 || c > 9)
        return new CodecError('BAD_CONTENT_LENGTH', "the 64-bit answer's CONTENT_LENGTH is not a decimal number");
      v = v * 10 + c;
    }
    if (!Number.isSafeInteger(v)) break;
    return v;
  }
  return new CodecError('BAD_CONTENT_LENGTH');
}

function same(b: Uint8Array, off: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (b[off + i] !== want[i]) return false;
  return true;
}
