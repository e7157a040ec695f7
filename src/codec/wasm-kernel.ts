// The WASM kernel: the AssemblyScript module's fixed memory regions seen from JS — copy a chunk in, call one
// export, read the offset table back; no object crosses the boundary.
import { type Input, Slab, toBytes, utf8Length } from './bytes.js';
import { MAX_BODY, RPC_MODIFIER1 } from './constants.js';
import { fail } from './errors.js';
import type { Kernel } from './kernel.js';
import { HEAD, SCAN_FULL, SCAN_NEED_MORE } from './kernel-spec.generated.js';
import { WASM_BASE64 } from './wasm-binary.generated.js';

interface Exports {
  memory: WebAssembly.Memory;
  inPtr(): number;
  inCap(): number;
  tablePtr(): number;
  tableWords(): number;
  outPtr(): number;
  decodeHeader(len: number): number;
  decodeArray(len: number): number;
  decodeVars(len: number): number;
  decodeRequest(len: number): number;
  scanFrames(len: number, maxBody: number, stopAtDict: number): number;
  scanRequests(len: number, maxBody: number): number;
  encodeHeader(m1: number, size: number, m2: number): number;
  encodeArray(n: number, request: number, withHeader: number, m1: number, m2: number): number;
  encodeVars(n: number, withHeader: number, m1: number, m2: number): number;
  encodeResponseHeader(size: number, m2: number): number;
}

const encoder = new TextEncoder();

/**
 * maxBody as the scan exports take it (a u32: 2^32 would arrive as 0). A frame's datasize
 * is a u16, so any limit of MAX_BODY or more lets every frame through alike.
 */
const frameLimit = (maxBody: number): number => Math.min(maxBody, MAX_BODY);

let compiled: Promise<WebAssembly.Module> | undefined;

/** Compiles the embedded module once per process (lazily: nothing runs at import). */
function compileWasm(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const bin = atob(WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return WebAssembly.compile(bytes);
  })();
  return compiled;
}

/**
 * Loads the WASM engine: one instance, one fixed memory, per kernel. `module`: the same
 * module precompiled by the host, for runtimes that forbid compiling WASM from bytes
 * (Cloudflare workerd: import dist/browser/uwsgi-rpc.wasm as a module and pass it in).
 */
export async function loadWasmKernel(module?: WebAssembly.Module): Promise<Kernel> {
  const instance = await WebAssembly.instantiate(module ?? (await compileWasm()), {});
  return new WasmKernel(instance.exports as unknown as Exports);
}

/**
 * The AssemblyScript engine. Bytes are copied into its IN region, the kernel fills the
 * table in place, encoders write OUT which is copied to a slab view the caller owns.
 */
class WasmKernel implements Kernel {
  private readonly x: Exports;
  private readonly inPtr: number;
  private readonly inCap: number;
  private readonly tablePtr: number;
  private readonly tableWords: number;
  private readonly outPtr: number;
  private u8!: Uint8Array;
  private words!: Uint32Array;
  private readonly slab = new Slab();

  constructor(x: Exports) {
    this.x = x;
    this.inPtr = x.inPtr();
    this.inCap = x.inCap();
    this.tablePtr = x.tablePtr();
    this.tableWords = x.tableWords();
    this.outPtr = x.outPtr();
    this.views();
  }

  /** Views over linear memory; rebuilt if a memory.grow ever detaches them. */
  private views(): Uint8Array {
    if (this.u8 === undefined || this.u8.byteLength === 0) {
      this.u8 = new Uint8Array(this.x.memory.buffer);
      this.words = new Uint32Array(this.x.memory.buffer, this.tablePtr, this.tableWords);
    }
    return this.u8;
  }

  table(): Uint32Array {
    this.views();
    return this.words;
  }

  /** Copies what the kernel may read: never more than IN holds (the kernel checks sizes first). */
  private load(b: Uint8Array, start = 0, end = b.length): number {
    const len = Math.min(end - start, this.inCap);
    this.views().set(start === 0 && len === b.length ? b : b.subarray(start, start + len), this.inPtr);
    return len;
  }

  decodeHeader(b: Uint8Array): number {
    this.load(b, 0, Math.min(b.length, 4));
    return this.x.decodeHeader(b.length);
  }

  decodeArray(b: Uint8Array): number {
    if (b.length <= this.inCap) this.load(b);
    return this.x.decodeArray(b.length);
  }

  decodeVars(b: Uint8Array): number {
    if (b.length <= this.inCap) this.load(b);
    return this.x.decodeVars(b.length);
  }

  decodeRequest(b: Uint8Array): number {
    this.load(b);
    return this.x.decodeRequest(b.length);
  }

  scanFrames(b: Uint8Array, start: number, end: number, maxBody: number, stopAtDict: boolean): number {
    const len = this.load(b, start, end);
    const r = this.x.scanFrames(len, frameLimit(maxBody), stopAtDict ? 1 : 0);
    // The window did not reach the end: there is more to scan, not "need more".
    if (r >= 0 && len < end - start && this.words[2] === SCAN_NEED_MORE) this.words[2] = SCAN_FULL;
    return r;
  }

  scanRequests(b: Uint8Array, start: number, end: number, maxBody: number): number {
    const len = this.load(b, start, end);
    const r = this.x.scanRequests(len, frameLimit(maxBody));
    if (r >= 0 && len < end - start && this.words[2] === SCAN_NEED_MORE) this.words[2] = SCAN_FULL;
    return r;
  }

  private out(len: number): Uint8Array {
    if (len < 0) fail(len);
    const out = this.slab.alloc(len);
    out.set(this.views().subarray(this.outPtr, this.outPtr + len));
    return out;
  }

  encodeHeader(m1: number, size: number, m2: number): Uint8Array {
    // The export takes a u32: 2^32 would arrive as 0. Anything above MAX_BODY is refused alike.
    return this.out(this.x.encodeHeader(m1, Math.min(size, MAX_BODY + 1), m2));
  }

  /** Writes items back to back into IN and their lengths into the table. */
  private stage(first: Input | undefined, items: readonly Input[]): number {
    const u8 = this.views();
    const words = this.words;
    const cap = this.tableWords - HEAD;
    const end = this.inPtr + this.inCap;
    const skip = first === undefined ? 0 : 1;
    let pos = this.inPtr;
    let full = false;
    for (let i = 0; i < items.length + skip; i++) {
      const it = i < skip ? (first as Input) : items[i - skip];
      let len: number;
      if (typeof it === 'string') {
        if (!full) {
          const r = encoder.encodeInto(it, u8.subarray(pos, end));
          if (r.read === it.length) len = r.written;
          else {
            len = utf8Length(it);
            full = true;
          }
        } else len = utf8Length(it);
      } else {
        len = it.length;
        if (!full && pos + len <= end) u8.set(it, pos);
        else full = true;
      }
      if (!full) pos += len;
      if (i < cap) words[HEAD + i] = len;
    }
    return items.length + skip;
  }

  encodeRequest(name: Input, args: readonly Input[], m2: number): Uint8Array {
    return this.out(this.x.encodeArray(this.stage(name, args), 1, 1, RPC_MODIFIER1, m2));
  }

  encodeArray(items: readonly Input[]): Uint8Array {
    return this.out(this.x.encodeArray(this.stage(undefined, items), 0, 0, 0, 0));
  }

  encodeVars(pairs: readonly (readonly [Input, Input])[]): Uint8Array {
    this.stage(undefined, pairs.flat());
    return this.out(this.x.encodeVars(pairs.length, 0, 0, 0));
  }

  /** The header comes from the kernel; the body is copied once, after it. */
  encodeResponse(result: Input, m2: number): Uint8Array {
    const body = toBytes(result);
    const len = this.x.encodeResponseHeader(body.length, m2);
    if (len < 0) fail(len);
    if (len === 0) return body;
    const out = this.slab.alloc(len + body.length);
    out.set(this.views().subarray(this.outPtr, this.outPtr + len));
    out.set(body, len);
    return out;
  }

  encodeResponseHeader(size: number, m2: number): Uint8Array {
    return this.out(this.x.encodeResponseHeader(size, m2));
  }
}
