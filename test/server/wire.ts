import { type Socket, connect } from 'node:net';
import { expect } from 'vitest';
import { createCodecSync } from '../../src/codec/index.js';
import { withKeepOpenMark } from '../../src/codec/keep-open.js';

/** A raw socket to a server under test: write bytes, wait for bytes or for the close. */
export class Wire {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private closed = false;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.received += c.length;
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(address: string): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const i = address.lastIndexOf(':');
      const s = address.includes('/')
        ? connect(address)
        : address.startsWith('@')
          ? connect(`\0${address.slice(1)}`)
          : connect(Number(address.slice(i + 1)), address.slice(0, i));
      s.once('connect', () => resolve(new Wire(s)));
      s.once('error', reject);
    });
  }

  write(...parts: Uint8Array[]): this {
    for (const p of parts) this.socket.write(p);
    return this;
  }

  /** Everything received so far. */
  get data(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves once `n` bytes have arrived; rejects if the connection closes first. */
  async bytes(n: number): Promise<Buffer> {
    while (this.received < n) {
      if (this.closed)
        throw new Error(`closed after ${this.received} of ${n} bytes: ${this.data.toString('hex').slice(0, 200)}`);
      await this.next();
    }
    return this.data;
  }

  /** Resolves with everything received once the server has closed the connection. */
  async untilClosed(): Promise<Buffer> {
    while (!this.closed) await this.next();
    return this.data;
  }

  end(): void {
    this.socket.destroy();
  }

  private next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** Connect, send, and collect everything until the server closes. */
export async function exchange(address: string, ...parts: Uint8Array[]): Promise<Buffer> {
  const w = await Wire.open(address);
  w.write(...parts);
  return w.untilClosed();
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const codec = createCodecSync();

/** An RPC request packet. */
export const req = (name: string, args: string[] = []): Uint8Array => codec.encodeRequest(name, args);

/**
 * `packet` with the keep-open mark, as a keep-alive client sends its first request: without it a
 * connection whose first request comes alone is ended with its answer (closeAfterAnswer 'lone').
 */
export const keepOpen = (packet: Uint8Array): Uint8Array => {
  const marked = withKeepOpenMark(packet);
  if (marked === null) throw new Error('no room for the keep-open mark');
  return marked;
};

/** The results (as text) of the framed answers in `b`. */
export const answers = (b: Uint8Array): string[] =>
  codec
    .createDecoder({ response: true })
    .push(b)
    .map((f) => Buffer.from(f.body).toString());

/** The server at `address` still answers a good call (its 'echo' function). */
export async function stillServes(address: string): Promise<void> {
  const w = await Wire.open(address);
  w.write(req('echo', ['fine']));
  expect(answers(await w.bytes(8))).toEqual(['fine']);
  w.end();
}
