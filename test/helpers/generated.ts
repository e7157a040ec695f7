/** Chunk size of generated(): 64 KB. */
export const CHUNK = 64 << 10;

/** Bytes made by generated() so far: how far the producer runs ahead of the reader is the backpressure. */
export const producer = { produced: 0 };

/** `total` bytes in CHUNK-sized pieces made one at a time (chunk i is filled with i & 255, its first bytes with i). */
export async function* generated(total: number): AsyncGenerator<Uint8Array> {
  for (let at = 0, i = 0; at < total; at += CHUNK, i++) {
    const c = Buffer.allocUnsafe(Math.min(CHUNK, total - at)).fill(i & 255);
    c.writeUInt32LE(i, 0);
    producer.produced += c.length;
    yield c;
  }
}
