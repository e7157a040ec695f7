// The body that follows an HTTP request's vars packet on a uwsgi connection (nginx sends it right after), read
// for the XML-RPC and JSON-RPC bridges.
import type { Socket } from 'node:net';

/**
 * Takes over a uwsgi connection's reads after an HTTP request's vars packet: the request
 * body follows it on the stream (nginx sends CONTENT_LENGTH bytes right after the packet,
 * as uWSGI reads them). `head` holds the bytes already read past the packet. Later reads
 * go to `read()`, or are dropped once the body is complete or not wanted.
 */
export class BodyReader {
  private chunks: Uint8Array[];
  private have: number;
  private want = -1;
  private done: ((body: Uint8Array | null) => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    private readonly socket: Socket,
    head: Uint8Array | null,
  ) {
    this.chunks = head === null || head.length === 0 ? [] : [head.slice()];
    this.have = this.chunks.length === 0 ? 0 : head!.length;
    socket.removeAllListeners('data');
    socket.on('data', (c: Buffer) => this.push(c));
    socket.once('end', () => this.finish(true));
    socket.once('close', () => this.finish(true));
  }

  /** The next `n` bytes of the stream (null if the peer stops first or `timeoutMs` passes). */
  read(n: number, timeoutMs: number): Promise<Uint8Array | null> {
    return new Promise((resolve) => {
      this.want = n;
      this.done = resolve;
      if (this.have >= n) return this.finish(false);
      if (this.ended) return this.finish(true);
      this.timer = setTimeout(() => this.finish(true), timeoutMs);
      this.timer.unref();
      if (this.socket.isPaused()) this.socket.resume();
    });
  }

  private push(c: Buffer): void {
    if (this.done === null && this.want >= 0) return;
    this.chunks.push(c);
    this.have += c.length;
    if (this.want >= 0 && this.have >= this.want) this.finish(false);
  }

  private finish(short: boolean): void {
    if (short) this.ended = true;
    const done = this.done;
    if (done === null) return;
    this.done = null;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.have < this.want) {
      done(null);
    } else {
      const body = new Uint8Array(this.want);
      let at = 0;
      for (const c of this.chunks) {
        if (at >= this.want) break;
        const take = Math.min(c.length, this.want - at);
        body.set(c.subarray(0, take), at);
        at += take;
      }
      done(body);
    }
    this.chunks = [];
  }
}
