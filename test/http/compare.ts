import { splitAnswer } from './raw-http.js';

export interface Answer {
  /** "200 OK", without the protocol. */
  status: string;
  headers: Map<string, string[]>;
  body: string;
}

/** A raw HTTP answer read as status (sans protocol), headers (lower-case names) and body (latin1); null for no answer. */
export function readAnswer(raw: Buffer): Answer | null {
  if (raw.length === 0) return null;
  const a = splitAnswer(raw);
  if (a === null) throw new Error(`not an HTTP answer: ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`);
  const headers = new Map<string, string[]>();
  for (const line of a.headers) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status: a.status.replace(/^HTTP\/1\.[01] /, ''), headers, body: a.body.toString('latin1') };
}

/** Headers node:http adds on its own (framing, date): ours may have them when uWSGI has not. */
const NODE_OWN = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/**
 * What to compare of uWSGI's answer and ours: status, body, every header uWSGI sent (same
 * values), and no header of ours that uWSGI did not send beyond node:http's own.
 */
export function comparable(a: Answer | null, reference: Answer | null) {
  if (a === null) return null;
  const headers: Record<string, string[]> = {};
  for (const [name, values] of a.headers) {
    if (reference !== null && !reference.headers.has(name) && NODE_OWN.has(name)) continue;
    headers[name] = values;
  }
  return { status: a.status, body: a.body, headers };
}
