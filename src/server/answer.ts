// Writing answers on a socket: one result behind its uwsgi header, or a sized stream as the socket drains.
import type { Socket } from 'node:net';
import type { Codec } from '../codec/codec.js';
import { HEADER_SIZE, MODIFIER2, RPC_MODIFIER1 } from '../codec/constants.js';
import { type Answer, showType } from '../functions/results.js';
import type { SizedStream } from '../functions/sized.js';
import { showError } from './log.js';

/**
 * Results up to this size are copied behind their header into one buffer (from Node's
 * pool): one stream chunk per answer costs less than two. Larger ones are never copied.
 */
export const COPY_MAX = 1024;

/**
 * Small uwsgi-form answers gathered while one read's requests run, written as one buffer: a
 * pipelined chunk of 16 requests then costs one stream chunk and one write, not a writev of 16
 * (what a hand-written server does with Buffer.concat, without the second copy).
 */
export class AnswerBatch {
  private results: Answer[] = [];
  private sizes: number[] = [];
  /** Bytes the batch will write (headers included). */
  bytes = 0;

  /** Takes `result` (its body `size` bytes, at most COPY_MAX). */
  add(result: Answer, size: number): void {
    this.results.push(result);
    this.sizes.push(size);
    this.bytes += HEADER_SIZE + size;
  }

  /** Writes what was gathered, in order, as one buffer (nothing when empty). */
  write(socket: Socket): void {
    const n = this.results.length;
    if (n === 0) return;
    const out = Buffer.allocUnsafe(this.bytes);
    let o = 0;
    for (let i = 0; i < n; i++) {
      const result = this.results[i];
      const size = this.sizes[i];
      // the 16-bit header (size <= COPY_MAX), written in place: the codec's would be a slab copy each
      out[o] = RPC_MODIFIER1;
      out[o + 1] = size & 0xff;
      out[o + 2] = size >>> 8;
      out[o + 3] = MODIFIER2.UWSGI;
      o += HEADER_SIZE;
      if (typeof result === 'string') out.write(result, o, size, 'utf8');
      else out.set(result, o);
      o += size;
    }
    this.results = [];
    this.sizes = [];
    this.bytes = 0;
    socket.write(out);
  }
}

/** The body size of a uwsgi-form answer. */
export function answerSize(result: Answer): number {
  return typeof result === 'string' ? Buffer.byteLength(result, 'utf8') : result.length;
}

/**
 * Writes one answer for request modifier2 `modifier2` (0: uwsgi packet, the 64-bit form
 * above 65535 bytes; anything else here: the bare result). A big result goes out as its
 * own chunk after the header; the caller corks the socket, so they leave in one writev.
 */
export function writeAnswer(
  socket: Socket,
  codec: Codec,
  modifier2: number,
  result: Answer,
  /** The body's size when the caller has it already (answerSize). */
  known = -1,
): void {
  if (modifier2 !== MODIFIER2.UWSGI) {
    socket.write(result);
    return;
  }
  const text = typeof result === 'string';
  const size = known >= 0 ? known : answerSize(result);
  const header = codec.encodeResponseHeader(size, MODIFIER2.UWSGI);
  if (size <= COPY_MAX) {
    const out = Buffer.allocUnsafe(header.length + size);
    out.set(header);
    if (text) out.write(result, header.length, size, 'utf8');
    else out.set(result, header.length);
    socket.write(out);
    return;
  }
  socket.write(header);
  socket.write(result);
}

/**
 * Writes a SizedStream answer: the header from the declared length (none for modifier2 1),
 * then each chunk as the socket takes it, waiting for 'drain' whenever its buffer is full,
 * so memory stays near the socket's buffers. Resolves with why the answer is broken (more
 * or fewer bytes than declared, a non-bytes chunk, the iterable threw), or null when it
 * was written whole or the socket went away. `moved` is called whenever it made progress.
 */
export async function writeStream(
  socket: Socket,
  codec: Codec,
  modifier2: number,
  stream: SizedStream,
  moved: () => void,
): Promise<string | null> {
  const declared = stream.length;
  if (modifier2 === MODIFIER2.UWSGI) socket.write(codec.encodeResponseHeader(declared, MODIFIER2.UWSGI));
  let sent = 0;
  try {
    for await (const chunk of stream.body) {
      if (socket.destroyed) return null;
      if (!(chunk instanceof Uint8Array)) return `yielded ${showType(chunk)}, not a Uint8Array, after ${sent} bytes`;
      if (chunk.length === 0) continue;
      sent += chunk.length;
      if (sent > declared) return `yielded more than its declared ${declared} bytes`;
      moved();
      if (!socket.write(chunk) && !(await drained(socket))) return null;
      moved();
    }
  } catch (err) {
    return `failed after ${sent} of ${declared} bytes: ${showError(err)}`;
  }
  if (sent < declared) return `ended after ${sent} of its declared ${declared} bytes`;
  return null;
}

/** True once the socket's buffer has drained, false if it closed first. */
function drained(socket: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}
