import type { Input } from './bytes.js';

/**
 * What an engine implements: packet parsing into the offset table (layout.ts) and packet
 * serialization. Decoders return a count/length or a negative code (codes.ts); encoders
 * return the encoded bytes (a fresh view the caller owns) or throw CodecError.
 * Inputs are already type-checked by the codec.
 */
export interface Kernel {
  readonly engine: 'wasm' | 'ts';
  /** The table the last decode filled; fetch it after each call. */
  table(): Uint32Array;
  decodeHeader(bytes: Uint8Array): number;
  decodeArray(body: Uint8Array): number;
  decodeVars(body: Uint8Array): number;
  decodeRequest(packet: Uint8Array): number;
  /** Frames in bytes[start, end); table offsets are relative to `start`. */
  scanFrames(bytes: Uint8Array, start: number, end: number, maxBody: number, stopAtDict: boolean): number;
  encodeHeader(modifier1: number, size: number, modifier2: number): Uint8Array;
  /** `header` null: the bare array; else prefixed by (header[0], size, header[1]). */
  encodeArray(items: readonly Input[], request: boolean, header: readonly [number, number] | null): Uint8Array;
  encodeVars(pairs: readonly (readonly [Input, Input])[], header: readonly [number, number] | null): Uint8Array;
  /** What precedes a result of `size` bytes (modifier2 0, 1 or 5): header, maybe a dict. */
  encodeResponseHeader(size: number, modifier2: number): Uint8Array;
}
