import { CODES } from './codes.js';
import { CONTENT_LENGTH, DEFAULT_MAX_FRAME, DEFAULT_MAX_RESPONSE, MODIFIER2 } from './constants.js';
import { CodecError, fail } from './errors.js';
import type { Kernel } from './kernel.js';
import { HEAD, SCAN_DICT, SCAN_FULL } from './layout.js';

export interface Frame {
  modifier1: number;
  modifier2: number;
  /** A view over the pushed chunk when the frame sat in one chunk, else an owned copy. */
  body: Uint8Array;
}

export interface DecoderOptions {
  /** Read answers: a 64-bit-form answer (modifier2 5) is one frame whose body is the result. */
  response?: boolean;
  /** Largest body (or 64-bit-form result) accepted; larger fails with FRAME_TOO_LARGE. */
  maxFrame?: number;
}

/** Which kernel scans a chunk of `len` bytes (auto: WASM only for big chunks). */
export type ScanPicker = (len: number) => Kernel;

const CL_BYTES = new TextEncoder().encode(CONTENT_LENGTH);

/**
 * A per-connection frame decoder: TCP chunks of any size and boundary in, complete frames
 * out. A chunk is scanned in place by a kernel; only a frame split across chunks is
 * copied (into `pending`), and a 64-bit-form result is gathered into one buffer of
 * exactly its CONTENT_LENGTH.
 */
export class FrameDecoder {
  readonly response: boolean;
  readonly maxFrame: number;
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

  constructor(pick: ScanPicker, dictKernel: Kernel, options: DecoderOptions = {}) {
    this.pick = pick;
    this.dictKernel = dictKernel;
    this.response = options.response === true;
    const max = options.maxFrame ?? (this.response ? DEFAULT_MAX_RESPONSE : DEFAULT_MAX_FRAME);
    if (!Number.isSafeInteger(max) || max < 0) throw new CodecError('INVALID_INPUT', `maxFrame ${max}`);
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
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.failed !== null) throw new CodecError('DECODER_FAILED', this.failed.code);
    if (!(chunk instanceof Uint8Array)) throw new CodecError('INVALID_INPUT', 'chunk is not a Uint8Array');
    const frames: Frame[] = [];
    try {
      let off = 0;
      const end = chunk.length;
      while (off < end) {
        if (this.raw !== null) off = this.fillRaw(chunk, off, frames);
        else if (this.pendingLen > 0) off = this.fillPending(chunk, off, frames);
        else off = this.scan(chunk, off, frames);
      }
    } catch (err) {
      if (err instanceof CodecError) {
        err.frames = frames;
        this.failed = err;
      }
      throw err;
    }
    return frames;
  }

  private scan(chunk: Uint8Array, off: number, frames: Frame[]): number {
    const end = chunk.length;
    const k = this.pick(end - off);
    const r = k.scanFrames(chunk, off, end, this.maxFrame, this.response);
    const t = k.table();
    const n = t[0];
    const consumed = t[1];
    const status = t[2];
    const base = chunk.byteOffset + off;
    for (let i = 0, e = HEAD; i < n; i++, e += 4) {
      frames.push({ modifier1: t[e], modifier2: t[e + 1], body: new Uint8Array(chunk.buffer, base + t[e + 2], t[e + 3]) });
    }
    if (r < 0) {
      const head = chunk.subarray(off + consumed, off + consumed + 4);
      fail(r, `datasize ${head[1] | (head[2] << 8)} > maxFrame ${this.maxFrame}`);
    }
    off += consumed;
    if (status === SCAN_FULL) return off;
    if (status === SCAN_DICT) {
      const size = chunk[off + 1] | (chunk[off + 2] << 8);
      if (end - off >= 4 + size) {
        this.startRaw(chunk, off, size, frames);
        return off + 4 + size;
      }
    }
    this.keep(chunk.subarray(off, end));
    return end;
  }

  /** Completes the frame in `pending` from `chunk`; returns how far it read. */
  private fillPending(chunk: Uint8Array, off: number, frames: Frame[]): number {
    if (this.pendingLen < 4) {
      const take = Math.min(4 - this.pendingLen, chunk.length - off);
      this.keep(chunk.subarray(off, off + take));
      off += take;
      if (this.pendingLen < 4) return off;
    }
    const size = this.pending[1] | (this.pending[2] << 8);
    const dict = this.response && this.pending[3] === MODIFIER2.DICT;
    if (!dict && size > this.maxFrame) fail(CODES.FRAME_TOO_LARGE, `datasize ${size} > maxFrame ${this.maxFrame}`);
    const take = Math.min(4 + size - this.pendingLen, chunk.length - off);
    this.keep(chunk.subarray(off, off + take));
    off += take;
    if (this.pendingLen < 4 + size) return off;
    const p = this.pending;
    this.pendingLen = 0;
    if (dict) this.startRaw(p, 0, size, frames);
    else frames.push({ modifier1: p[0], modifier2: p[3], body: p.slice(4, 4 + size) });
    return off;
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

  /** A 64-bit-form header + dict at b[off..]: read CONTENT_LENGTH, then gather the result. */
  private startRaw(b: Uint8Array, off: number, size: number, frames: Frame[]): void {
    const length = contentLength(this.dictKernel, b.subarray(off + 4, off + 4 + size));
    if (length > this.maxFrame) fail(CODES.FRAME_TOO_LARGE, `CONTENT_LENGTH ${length} > maxFrame ${this.maxFrame}`);
    const m1 = b[off];
    if (length === 0) {
      frames.push({ modifier1: m1, modifier2: MODIFIER2.DICT, body: new Uint8Array(0) });
      return;
    }
    this.raw = new Uint8Array(length);
    this.rawModifier1 = m1;
  }

  private fillRaw(chunk: Uint8Array, off: number, frames: Frame[]): number {
    const raw = this.raw!;
    const take = Math.min(raw.length - this.rawFilled, chunk.length - off);
    raw.set(chunk.subarray(off, off + take), this.rawFilled);
    this.rawFilled += take;
    if (this.rawFilled === raw.length) {
      frames.push({ modifier1: this.rawModifier1, modifier2: MODIFIER2.DICT, body: raw });
      this.raw = null;
      this.rawFilled = 0;
    }
    return off + take;
  }
}

/** CONTENT_LENGTH of a 64-bit-form dict: plain decimal digits, a safe integer. */
export function contentLength(k: Kernel, dict: Uint8Array): number {
  const n = k.decodeVars(dict);
  if (n < 0) fail(n, 'in the 64-bit response dict');
  const t = k.table();
  for (let i = 0, e = HEAD; i < n; i++, e += 4) {
    if (t[e + 1] !== CL_BYTES.length || !same(dict, t[e], CL_BYTES)) continue;
    const vo = t[e + 2];
    const vl = t[e + 3];
    if (vl === 0 || vl > 16) break;
    let v = 0;
    for (let j = 0; j < vl; j++) {
      const c = dict[vo + j] - 48;
      if (c < 0 || c > 9) fail(CODES.BAD_CONTENT_LENGTH, 'not a decimal number');
      v = v * 10 + c;
    }
    if (!Number.isSafeInteger(v)) break;
    return v;
  }
  return fail(CODES.BAD_CONTENT_LENGTH);
}

function same(b: Uint8Array, off: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (b[off + i] !== want[i]) return false;
  return true;
}

