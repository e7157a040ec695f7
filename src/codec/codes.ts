/**
 * Stable error codes. Kernels (WASM and TS) return the negative numbers; the codec turns
 * them into {@link CodecError}s carrying the string code. assembly/codes.ts holds the
 * same numbers (test/codes.test.ts keeps the two in step).
 */
export const CODES = {
  SHORT_HEADER: -1,
  WRONG_MODIFIER1: -2,
  SIZE_MISMATCH: -3,
  TRUNCATED_LENGTH: -4,
  TRUNCATED_ITEM: -5,
  EMPTY_KEY: -6,
  EMPTY_NAME: -7,
  NAME_TOO_LONG: -8,
  TOO_MANY_ARGS: -9,
  BODY_TOO_LARGE: -10,
  FRAME_TOO_LARGE: -11,
  BAD_CONTENT_LENGTH: -12,
  INVALID_MODIFIER: -13,
  INVALID_INPUT: -14,
  DECODER_FAILED: -15,
} as const;

export type CodecErrorCode = keyof typeof CODES;

export const MESSAGES: Record<CodecErrorCode, string> = {
  SHORT_HEADER: 'fewer than the 4 header bytes',
  WRONG_MODIFIER1: 'modifier1 is not 173 (RPC)',
  SIZE_MISMATCH: "the header's datasize does not match the bytes that follow it",
  TRUNCATED_LENGTH: 'a 2-byte length prefix is cut short',
  TRUNCATED_ITEM: 'an item is longer than the bytes left in the body',
  EMPTY_KEY: 'a vars key is empty',
  EMPTY_NAME: 'the function name is empty or missing',
  NAME_TOO_LONG: 'the function name is longer than 255 bytes',
  TOO_MANY_ARGS: 'more than 254 arguments',
  BODY_TOO_LARGE: 'the body is larger than 65535 bytes',
  FRAME_TOO_LARGE: 'the frame is larger than the decoder allows (maxFrame)',
  BAD_CONTENT_LENGTH: 'the 64-bit response dict has no valid CONTENT_LENGTH',
  INVALID_MODIFIER: 'a modifier is not an integer 0..255, or not one this operation takes',
  INVALID_INPUT: 'an input is neither a string nor a Uint8Array',
  DECODER_FAILED: 'the stream decoder already failed; reset() it or make a new one',
};

const BY_NUMBER: CodecErrorCode[] = [];
for (const [code, n] of Object.entries(CODES)) BY_NUMBER[-n] = code as CodecErrorCode;

export function codeName(n: number): CodecErrorCode {
  return BY_NUMBER[-n] ?? 'INVALID_INPUT';
}
