// --log-format json: each log line as one JSON object (time, level, event, peer, function,
// message) that log shippers read without a pattern; the event is named from the line's
// opening words, which are the same for every line of its kind.

/** What a line's writer knows beyond its text (for --log-format json). */
export interface LogFields {
  /** The client, when the line is about one connection. */
  peer?: string;
  /** The line without the peer in front. */
  message?: string;
  /** The function the line is about, when its text does not name it. */
  function?: string;
  /** A name for the kind of line (default: found from its words, see log-json.ts). */
  event?: string;
  level?: 'info' | 'warn' | 'error';
}

/** One JSON log record. */
interface LogRecord {
  time: string;
  level: 'info' | 'warn' | 'error';
  event: string;
  peer: string | null;
  function: string | null;
  message: string;
}

/** The events, by how their lines begin (after the peer), most specific first. */
const EVENTS: readonly [RegExp, string, LogRecord['level']][] = [
  [/^unknown function /, 'unknown_function', 'warn'],
  [/^function "(?:[^"\\]|\\.)*" failed/, 'function_failed', 'error'],
  [/^function "(?:[^"\\]|\\.)*" (?:returned|declared|promised)/, 'bad_result', 'error'],
  [/^harakiri:/, 'harakiri', 'error'],
  [/^socket-timeout:/, 'socket_timeout', 'warn'],
  [/^buffer-size:/, 'too_large', 'warn'],
  [/^malformed request/, 'malformed_request', 'warn'],
  [/^modifier1 /, 'malformed_request', 'warn'],
  [/^max-conns:/, 'max_conns', 'warn'],
  [/not in the allow list/, 'denied', 'warn'],
  [/^the peer (?:went away|closed)/, 'peer_gone', 'warn'],
  [/reading paused/, 'paused', 'info'],
  [/^a streamed answer/, 'stream_failed', 'error'],
  [/^HTTP /, 'http', 'warn'],
  [/^subscri|^unsubscri/, 'subscription', 'info'],
];

/** The quoted function name a line names (as showName() writes it), or null. */
function functionOf(message: string): string | null {
  const m = /^(?:unknown )?function ("(?:[^"\\]|\\.)*")/.exec(message);
  if (m === null) return null;
  try {
    return JSON.parse(m[1]) as string;
  } catch {
    return null;
  }
}

/** `line` (with `fields`, when its writer gave them) as a LogRecord. */
function logRecord(line: string, fields: LogFields = {}, now = new Date()): LogRecord {
  const message = fields.message ?? line;
  const match = EVENTS.find(([re]) => re.test(message));
  return {
    time: now.toISOString(),
    level: fields.level ?? match?.[2] ?? 'info',
    event: fields.event ?? match?.[1] ?? 'server',
    peer: fields.peer ?? null,
    function: fields.function ?? functionOf(message),
    message,
  };
}

/** One line of JSON for `line`. */
export function jsonLine(line: string, fields?: LogFields): string {
  return JSON.stringify(logRecord(line, fields));
}
