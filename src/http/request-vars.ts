// RequestVars: one request's uwsgi vars as binary strings, with the fields routes match on.
import { latin1 } from '../codec/bytes.js';
import { binaryToBytes } from './binary.js';

type VarInput = string | Uint8Array;

/** Binary strings pass through; bytes become binary strings. */
function toBinary(v: VarInput): string {
  return typeof v === 'string' ? v : latin1(v);
}

/**
 * The vars of one HTTP request, in order, as uWSGI keeps them (wsgi_req's vars): what nginx
 * sends in a modifier1-0 packet, or what the HTTP front builds from a request. Keys and
 * values are binary strings (one char per byte, see binary.ts).
 *
 * The named fields are what uWSGI's var parser (core/protocol.c) picks out while reading
 * them; routing subjects match against these. null means the var never came, which matters:
 * uWSGI's regex match on a missing subject fails even for `^$` or `.*`.
 */
export class RequestVars {
  private readonly keys: string[] = [];
  private readonly values: string[] = [];

  pathInfo: string | null = null;
  uri: string | null = null;
  queryString: string | null = null;
  /** HTTP_HOST, else SERVER_NAME when it came while no host was known. */
  host: string | null = null;
  /** The first non-empty REMOTE_ADDR. */
  remoteAddr: string | null = null;
  userAgent: string | null = null;
  referer: string | null = null;
  remoteUser: string | null = null;
  method: string | null = null;
  /** SERVER_PROTOCOL: the answer's status line starts with it (HTTP/1.0 when absent). */
  protocol: string | null = null;
  cookie: string | null = null;
  /** CONTENT_LENGTH's leading digits, as uWSGI reads it (0 when absent or not a number). */
  contentLength = 0;

  /** Vars from decoded pairs (codec.decodeVars on a modifier1-0 body), in their order. */
  static fromPairs(pairs: Iterable<readonly [VarInput, VarInput]>): RequestVars {
    const v = new RequestVars();
    for (const [k, val] of pairs) v.add(k, val);
    return v;
  }

  /** Adds a var as the request parser does: it may set one of the named fields. */
  add(key: VarInput, value: VarInput): void {
    const k = toBinary(key);
    const val = toBinary(value);
    this.keys.push(k);
    this.values.push(val);
    this.pick(k, val);
  }

  /**
   * Adds a var after parsing (uWSGI's uwsgi_req_append: rpcvar, addvar). Lookups see it
   * (the last var of a name wins) but the routing subjects stay as parsed.
   */
  append(key: VarInput, value: VarInput): void {
    this.keys.push(toBinary(key));
    this.values.push(toBinary(value));
  }

  /** The value of the last var named `key`, or undefined. */
  get(key: string): string | undefined {
    const keys = this.keys;
    for (let i = keys.length - 1; i >= 0; i--) {
      if (keys[i] === key) return this.values[i];
    }
    return undefined;
  }

  get size(): number {
    return this.keys.length;
  }

  /** Every var in order (a name may repeat). */
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.keys.length; i++) yield [this.keys[i], this.values[i]];
  }

  /** The vars as byte pairs, e.g. for codec.encodeVars. */
  toPairs(): [Uint8Array, Uint8Array][] {
    return this.keys.map((k, i) => [binaryToBytes(k), binaryToBytes(this.values[i])]);
  }

  private pick(k: string, v: string): void {
    switch (k) {
      case 'PATH_INFO':
        this.pathInfo = v;
        break;
      case 'REQUEST_URI':
        this.uri = v;
        break;
      case 'QUERY_STRING':
        this.queryString = v;
        break;
      case 'HTTP_HOST':
        this.host = v;
        break;
      case 'SERVER_NAME':
        if (!this.host) this.host = v;
        break;
      case 'REMOTE_ADDR':
        if (!this.remoteAddr) this.remoteAddr = v;
        break;
      case 'HTTP_USER_AGENT':
        this.userAgent = v;
        break;
      case 'HTTP_REFERER':
        this.referer = v;
        break;
      case 'REMOTE_USER':
        this.remoteUser = v;
        break;
      case 'REQUEST_METHOD':
        this.method = v;
        break;
      case 'SERVER_PROTOCOL':
        this.protocol = v;
        break;
      case 'HTTP_COOKIE':
        this.cookie = v;
        break;
      case 'CONTENT_LENGTH':
        this.contentLength = leadingNumber(v);
        break;
      default:
        break;
    }
  }
}

/** The number the leading ASCII digits spell (uWSGI's get_content_length). */
function leadingNumber(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return n;
}
