// The server's log lines: where they go by default, and how names and errors are shown in them.
import { InvalidArgs } from '../functions/typed-function.js';
import { type LogFields, jsonLine } from './log-json.js';

export type { LogFields };
/** Receives one line (no trailing newline) per event worth telling an operator. */
export type LogLine = (line: string, fields?: LogFields) => void;

export const stderrLog: LogLine = (line) => {
  process.stderr.write(`uwsgi-rpc: ${line}\n`);
};

/** --log-format json: one JSON object per line on stderr. */
export const stderrJsonLog: LogLine = (line, fields) => {
  process.stderr.write(`${jsonLine(line, fields)}\n`);
};

const utf8 = new TextDecoder();
const MAX_SHOWN = 80;

/** A function name for a log line: quoted, control bytes escaped, cut at 80 characters. */
export function showName(name: Uint8Array): string {
  let s = utf8.decode(name);
  if (s.length > MAX_SHOWN) s = `${s.slice(0, MAX_SHOWN)}...`;
  return JSON.stringify(s);
}

/** Why a function gave no answer, after its name: it failed, or (typed) its args did not fit and it never ran. */
export function showFailure(err: unknown): string {
  if (err instanceof InvalidArgs) return `not run: invalid arg ${err.position}: ${err.reason}`;
  return `failed: ${showError(err)}`;
}

/** Why a function failed, on one line. */
export function showError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.replace(/\s*\n\s*/g, ' ').slice(0, 300);
}
