// HttpResponse: the answer routes and bridges write, as raw bytes for the uwsgi socket or a head and body for
// node:http.
import { binaryToBytes } from './binary.js';
import { statusText } from './status.js';

/** A header as written: `name: value`, or a whole raw line when name is null (addheader). */
export type HeaderLine = readonly [name: string | null, value: string];

/** The response head as it went out. */
export interface SentHead {
  /** "200 OK", "403 Go away": the status line without the protocol. */
  readonly status: string;
  readonly headers: readonly HeaderLine[];
}

/**
 * One HTTP response, built the way uWSGI's writer (core/writer.c) builds it, so that the
 * same routing actions end in the same bytes:
 * - prepareHeaders() starts (or restarts) the head; it fails once anything went out;
 * - headers go out with the first body write, or by writeHeaders(), or by finish() when
 *   the request ends with a head that was prepared but never sent;
 * - extra header lines (the addheader action) join the head when it goes out;
 * - a body written with no head at all goes out bare.
 * Header names, values and status texts are binary strings (one char per byte).
 *
 * Nothing is written anywhere: the fronts (node:http, or a raw socket for nginx) read the
 * result (`head`, `body`, `toBytes()`), and `answered` false means "close without a byte",
 * which is what uWSGI does when a request ends with nothing written.
 */
export class HttpResponse {
  private status: string | null = null;
  private lines: HeaderLine[] = [];
  private headBuffer = false;
  private readonly extra: string[] = [];
  private sent: SentHead | null = null;
  private bodyBytes = 0;
  private readonly chunks: Uint8Array[] = [];

  /** The answer's head once sent, or null (no head, or not sent yet). */
  get head(): SentHead | null {
    return this.sent;
  }

  get headersSent(): boolean {
    return this.sent !== null;
  }

  /** The body chunks written so far, in order. */
  get body(): readonly Uint8Array[] {
    return this.chunks;
  }

  get bodySize(): number {
    return this.bodyBytes;
  }

  /** Anything went out (a head or body bytes). */
  get answered(): boolean {
    return this.sent !== null || this.bodyBytes > 0;
  }

  /** Starts the head with `status` ("200", "404 Not Found" ...); false once anything went out. */
  prepareHeaders(status: string): boolean {
    if (this.sent !== null || this.bodyBytes > 0 || status.length < 3) return false;
    this.status = statusText(status);
    this.lines = [];
    this.headBuffer = true;
    return true;
  }

  /** Adds `name: value` to the head; false once anything went out. */
  addHeader(name: string, value: string): boolean {
    if (this.sent !== null || this.bodyBytes > 0) return false;
    this.headBuffer = true;
    // uWSGI writes a header with an empty name as the bare value line.
    this.lines.push([name === '' ? null : name, value]);
    return true;
  }

  addContentLength(n: number): boolean {
    return this.addHeader('Content-Length', String(n));
  }

  addContentType(type: string): boolean {
    return this.addHeader('Content-Type', type);
  }

  addConnectionClose(): boolean {
    return this.addHeader('Connection', 'close');
  }

  /** A raw header line for the head when it goes out (the addheader action; ignored after). */
  addExtraHeader(line: string): void {
    this.extra.push(line);
  }

  /** Sends a prepared head now (no-op if none, or already sent, or body bytes went out). */
  writeHeaders(): void {
    if (this.sent !== null || !this.headBuffer || this.bodyBytes > 0) return;
    const headers = this.lines.slice();
    for (const line of this.extra) headers.push([null, line]);
    // A head with header lines but no status line cannot happen through the actions here;
    // uWSGI would write the lines bare. Keep it representable.
    this.sent = { status: this.status ?? '', headers };
  }

  /** Writes body bytes, sending the head first if one is prepared. */
  writeBody(bytes: Uint8Array | string): void {
    this.writeHeaders();
    const b = typeof bytes === 'string' ? binaryToBytes(bytes) : bytes;
    if (b.length === 0) return;
    this.chunks.push(b);
    this.bodyBytes += b.length;
  }

  /** The request is over: a head that was prepared but never sent goes out now (as uWSGI). */
  finish(): void {
    if (this.headBuffer && this.sent === null && this.bodyBytes === 0) this.writeHeaders();
  }

  /**
   * The answer as raw HTTP bytes, as uWSGI writes it on a uwsgi-protocol socket (nginx
   * uwsgi_pass): `protocol` (the request's SERVER_PROTOCOL, HTTP/1.0 when it had none),
   * status line, header lines, blank line, body. Call finish() first.
   */
  toBytes(protocol: string | null): Uint8Array {
    let head = '';
    if (this.sent !== null) {
      if (this.sent.status !== '') head += `${protocol || 'HTTP/1.0'} ${this.sent.status}\r\n`;
      for (const [name, value] of this.sent.headers) head += name === null ? `${value}\r\n` : `${name}: ${value}\r\n`;
      head += '\r\n';
    }
    const out = new Uint8Array(head.length + this.bodyBytes);
    out.set(binaryToBytes(head), 0);
    let at = head.length;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
