import { type CodecErrorCode, CODES, MESSAGES, codeName } from './codes.js';

export type { CodecErrorCode };

/** The only error the codec throws. `code` is stable; `message` adds the numbers involved. */
export class CodecError extends Error {
  readonly code: CodecErrorCode;
  /** Complete frames a stream decoder had found before the fault, in order. */
  frames?: unknown[];

  constructor(code: CodecErrorCode, detail?: string) {
    super(detail ? `${MESSAGES[code]}: ${detail}` : MESSAGES[code]);
    this.name = 'CodecError';
    this.code = code;
  }
}

/** Throws the CodecError for a kernel's negative return code. */
export function fail(n: number, detail?: string): never {
  throw new CodecError(codeName(n), detail);
}

export { CODES };
