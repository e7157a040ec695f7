// Why a value does not fit its type: the position (0-based arg index, or the result) and the reason.

/** An arg or result that does not parse or validate. `position` is the arg's 0-based index, or 'result'. */
export class TypeMismatch extends Error {
  readonly position: number | 'result';
  readonly reason: string;

  constructor(position: number | 'result', reason: string) {
    super(`${position === 'result' ? 'result' : `arg ${position}`}: ${reason}`);
    this.name = 'TypeMismatch';
    this.position = position;
    this.reason = reason;
  }
}

/** A short, one-line view of a value in a reason. */
export function shown(text: string): string {
  const s = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
  return s;
}
