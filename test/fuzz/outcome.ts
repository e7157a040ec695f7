// A call's result as a string two engines (or an engine and the model) can be compared by.
import { createHash } from 'node:crypto';
import { type Codec, CodecError } from '../../src/codec/index.js';

export interface Engines {
  ts: Codec;
  wasm: Codec;
  auto: Codec;
}

/** A comparable picture of a call's result: its value or its error code. Only CodecError may escape a codec call. */
export function outcome(f: () => unknown): string {
  try {
    return `ok ${show(f())}`;
  } catch (err) {
    if (err instanceof CodecError) return `err ${err.code}`;
    throw err;
  }
}

export function show(v: unknown): string {
  if (v instanceof Uint8Array) return v.length <= 256 ? hex(v) : `${v.length}#${digest(v)}`;
  if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return (
      '{' +
      Object.entries(v)
        .map(([k, x]) => `${k}:${show(x)}`)
        .join(',') +
      '}'
    );
  return String(v);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Short byte strings in hex (a loop: tens of thousands of frames are shown per stream case). */
function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}

/** Long byte strings compare by length and hash, not by a 100 KB hex string (SHA-1: native, twice FNV's speed in JS). */
function digest(b: Uint8Array): string {
  return createHash('sha1').update(b).digest('base64');
}

/** Runs `f` on every engine: the outcome they all give, or an error naming the difference. */
export function agreeing(e: Engines) {
  return (f: (c: Codec) => unknown): string => {
    const [a, ...rest] = [e.ts, e.wasm, e.auto].map((c) => outcome(() => f(c)));
    for (const r of rest)
      if (r !== a) throw new Error(`engines differ:\n ts:   ${a.slice(0, 400)}\n other: ${r.slice(0, 400)}`);
    return a;
  };
}

/** The engines' common outcome must be the model's. */
export function expectModel(what: string, got: string, model: () => unknown): void {
  const want = outcome(model);
  if (got !== want)
    throw new Error(`${what}: the engines give\n ${got.slice(0, 400)}\nthe model\n ${want.slice(0, 400)}`);
}
