import { Codec, type EnginePlan } from './codec.js';
import { CodecError } from './errors.js';
import type { Kernel } from './kernel.js';
import { TsKernel } from './ts-kernel.js';
import { loadWasmKernel } from './wasm-kernel.js';

export type EngineChoice = 'auto' | 'wasm' | 'ts';

export interface CodecOptions {
  /** 'auto' (default): WASM where it loads and measured faster, TS elsewhere. */
  engine?: EngineChoice;
}

/**
 * An auto codec's stream decoders with `items: true` scan chunks at least this long with
 * WASM. Below it, and for every other operation, the copy into linear memory costs more
 * than WASM saves (bench/codec.bench.mjs: the decode, scan and decoder.push rows).
 */
export const AUTO_SCAN_THRESHOLD = 512;

// Kernels keep no state between calls, so one of each serves the whole process.
let ts: TsKernel | undefined;
let wasm: Promise<Kernel> | undefined;

export function tsKernel(): TsKernel {
  return (ts ??= new TsKernel());
}

/** The process's WASM kernel, instantiated on first use. Rejects where WASM is unavailable. */
export function wasmKernel(): Promise<Kernel> {
  wasm ??= loadWasmKernel();
  return wasm;
}

export async function createCodec(options: CodecOptions = {}): Promise<Codec> {
  const engine = options.engine ?? 'auto';
  const t = tsKernel();
  if (engine === 'ts') return new Codec('ts', { single: t, batch: t, batchThreshold: 0 });
  if (engine === 'wasm') {
    const w = await wasmKernel();
    return new Codec('wasm', { single: w, batch: w, batchThreshold: 0 });
  }
  if (engine !== 'auto') throw new CodecError('INVALID_INPUT', `engine ${String(engine)}: use 'auto', 'wasm' or 'ts'`);
  let w: Kernel;
  try {
    w = await wasmKernel();
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
