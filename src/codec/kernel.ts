// The interface both engines implement (kernels fill the offset table; the Codec builds views from it).
import type { Input } from './bytes.js';

/**
 * What an engine implements: packet parsing into the offset table (its layout in
 * assembly/kernel-spec.json) and packet serialization. Decoders return a count/length or a
 * negative code (CODES); encoders return the encoded bytes (a fresh view the caller owns)
 * or throw CodecError. Inputs are already type-checked by the codec.
 */
export interface Kernel {
  /** The table the last decode filled; fetch it after each call. */
  table(): Uint32Array;
  decodeHeader(bytes: Uint8Array): number;
  decodeArray(body: Uint8Array): number;
  decodeVars(body: Uint8Array): number;
  decodeRequest(packet: Uint8Array): number;
  /** Frames in bytes[start, end); table offsets are relative to `start`. */
  scanFrames(bytes: Uint8Array, start: number, end: number, maxBody: number, stopAtDict: boolean): number;
  /** Frames and, in the same pass, each one's array items (the spec's `requests` table). */
  scanRequests(bytes: Uint8Array, start: number, end: number, maxBody: number): number;
  encodeHeader(modifier1: number, size: number, modifier2: number): Uint8Array;
  /** Header (173, size, modifier2) + [name, ...args], with the RPC limits. */
  encodeRequest(name: Input, args: readonly Input[], modifier2: number): Uint8Array;
  /** The bare array body. */
  encodeArray(items: readonly Input[]): Uint8Array;
  /** The bare vars body. */
  encodeVars(pairs: readonly (readonly [Input, Input])[]): Uint8Array;
  /** What precedes a result of `size` bytes (modifier2 0, 1 or 5): header, maybe a dict. */
  encodeResponseHeader(size: number, modifier2: number): Uint8Array;
  /** The whole answer: encodeResponseHeader(result's size) + result (raw: the result alone). */
  encodeResponse(result: Input, modifier2: number): Uint8Array;
}
