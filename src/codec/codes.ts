// The codec's stable error codes: kernels (WASM and TS) return the negative numbers of
// CODES (written once, in assembly/kernel-spec.json), the codec throws a CodecError carrying
// the name, with MESSAGES[name] as its default sentence.
import { CODES, MESSAGES } from './kernel-spec.generated.js';

export { CODES, MESSAGES };

export type CodecErrorCode = keyof typeof CODES;

const BY_NUMBER: CodecErrorCode[] = [];
for (const [code, n] of Object.entries(CODES)) BY_NUMBER[-n] = code as CodecErrorCode;

/** The name of a kernel's negative return code. */
export function codeName(n: number): CodecErrorCode {
  return BY_NUMBER[-n] ?? 'INVALID_INPUT';
}
