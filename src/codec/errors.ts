// The codec's one error type, and how a kernel's negative return becomes one.
import { type CodecErrorCode, MESSAGES, codeName } from './codes.js';

export type { CodecErrorCode };

/**
 * The only error the codec throws. `code` is stable; `message` is one sentence, with the
 * numbers involved where the codec knows them (MESSAGES[code] where it does not).
 */
export class CodecError extends Error {
  readonly code: CodecErrorCode;

  constructor(code: CodecErrorCode, message?: string) {
    super(message ?? MESSAGES[code]);
    this.name = 'CodecError';
    this.code = code;
  }
}

/** Throws the CodecError for a kernel's negative return code (`message`: see CodecError). */
export function fail(n: number, message?: string): never {
  throw new CodecError(codeName(n), message);
}
