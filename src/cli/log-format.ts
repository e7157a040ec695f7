// --log-format text|json for every line serve writes on stderr: the server's, the primary's,
// the gateway's and its own.
import { type LogFields, type LogLine, stderrJsonLog, stderrLog } from '../server/log.js';

/** uWSGI-style text lines (`uwsgi-rpc: ...`), the default, or one JSON object per line. */
export type LogFormat = 'text' | 'json';

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];
export const DEFAULT_LOG_FORMAT: LogFormat = 'text';

let format: LogFormat = DEFAULT_LOG_FORMAT;

/** From now on, lines are written as `f` asks. */
export function setLogFormat(f: LogFormat): void {
  format = f;
}

/** The LogLine of the format chosen (the server's `log` option). */
export function logLine(): LogLine {
  return format === 'json' ? stderrJsonLog : stderrLog;
}

/** One line on stderr, in the format chosen. */
export function cliLog(line: string, fields?: LogFields): void {
  logLine()(line, fields);
}
