// Picking and loading an engine: createCodec({ engine: 'auto' | 'wasm' | 'ts' }), the WASM module instantiated once
// per process, and what 'auto' sends to which kernel.
import { Codec, type EnginePlan } from './codec.js';
import { CodecError } from './errors.js';
import type { Kernel } from './kernel.js';
import { TsKernel } from './ts-kernel.js';
import { loadWasmKernel } from './wasm-kernel.js';

export type EngineChoice = 'auto' | 'wasm' | 'ts';

export interface CodecOptions {
  /** 'auto' (default): WASM where it loads and measured faster, TS elsewhere. */
  engine?: EngineChoice;
  /**
   * build/uwsgi.wasm (shipped as dist/browser/uwsgi-rpc.wasm) compiled by the host, where
   * compiling WASM from bytes is forbidden (Cloudflare workerd). Used by the first codec
   * that loads the WASM engine in this process.
   */
  wasmModule?: WebAssembly.Module;
}

/**
 * An auto codec's stream decoders with `items: true` scan chunks at least this long with
 * WASM. Below it, and for every other operation, the copy into linear memory costs more
 * than WASM saves (bench/codec.bench.mjs: the decode, scan and decoder.push rows). Where the
 * two meet moved from ~500 to ~250-300 bytes of 60-byte requests when the WASM scan got
 * faster (2026-12-01, bench/NOTES.md issue 17 item 6).
 */
const AUTO_SCAN_THRESHOLD = 256;

// Kernels keep no state between calls, so one of each serves the whole process.
let ts: TsKernel | undefined;
let wasm: Promise<Kernel> | undefined;
let wasmFailed = false;

export function tsKernel(): TsKernel {
  return (ts ??= new TsKernel());
}

/** The process's WASM kernel, instantiated on first use. Rejects where WASM is unavailable. */
export function wasmKernel(module?: WebAssembly.Module): Promise<Kernel> {
  // A failed load is retried only when the caller now brings a precompiled module.
  if (module && wasmFailed) {
    wasm = undefined;
    wasmFailed = false;
  }
  if (!wasm) {
    wasm = loadWasmKernel(module);
    wasm.catch(() => {
      wasmFailed = true;
    });
  }
  return wasm;
}

export async function createCodec(options: CodecOptions = {}): Promise<Codec> {
  const engine = options.engine ?? 'auto';
  const t = tsKernel();
  if (engine === 'ts') return new Codec('ts', { single: t, batch: t, batchThreshold: 0 });
  if (engine === 'wasm') {
    const w = await wasmKernel(options.wasmModule);
    return new Codec('wasm', { single: w, batch: w, batchThreshold: 0 });
  }
  if (engine !== 'auto') throw new CodecError('INVALID_INPUT', `engine ${String(engine)}: use 'auto', 'wasm' or 'ts'`);
  let w: Kernel;
  try {
    w = await wasmKernel(options.wasmModule);
  } catch {
    return new Codec('ts', { single: t, batch: t, batchThreshold: 0 });
  }
  const plan: EnginePlan = { single: t, batch: w, batchThreshold: AUTO_SCAN_THRESHOLD };
  return new Codec('wasm', plan);
}

/** A TS codec at once, no await (the fallback while WASM loads). */
export function createCodecSync(): Codec {
  const t = tsKernel();
  return new Codec('ts', { single: t, batch: t, batchThreshold: 0 });
}
