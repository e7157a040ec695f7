// Sized results: a function's answer too big to hold, as a declared length and the chunks that make it.
/**
 * A result too big to hold in memory: its exact size up front (the uwsgi header carries it
 * before the first byte of the body), then the bytes as they are made. The server writes
 * each chunk as the socket takes it, so memory stays near the socket's buffers.
 * A chunk must not be changed after it is yielded (it may still wait to be sent).
 */
export interface SizedStream {
  readonly length: number;
  readonly body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

/** A SizedStream of `length` bytes (a safe integer > 0; an empty result is a failure on the wire). */
export function sized(length: number, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): SizedStream {
  if (!Number.isSafeInteger(length) || length <= 0)
    throw new RangeError(`sized: length must be a safe integer > 0, got ${String(length)}`);
  if (!isIterable(body)) throw new TypeError('sized: body must be an iterable or async iterable of Uint8Array');
  return { length, body };
}

function isIterable(v: unknown): boolean {
  return (
    typeof v === 'object' &&
    v !== null &&
    (typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' ||
      typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function')
  );
}

/** Whether a function's result is a SizedStream (any object with a numeric length and an iterable body). */
export function isSized(v: unknown): v is SizedStream {
  return (
    typeof v === 'object' &&
    v !== null &&
    !(v instanceof Uint8Array) &&
    typeof (v as SizedStream).length === 'number' &&
    isIterable((v as SizedStream).body)
  );
}

/** Why a SizedStream cannot be answered, or null when it can. */
export function refuseSized(v: SizedStream): string | null {
  if (!Number.isSafeInteger(v.length) || v.length <= 0)
    return `returned a sized stream of length ${String(v.length)} (must be a safe integer > 0)`;
  return null;
}

/** Gathers a SizedStream into one buffer (local calls and bridges, which need the whole result). */
export async function gather(v: SizedStream): Promise<Uint8Array> {
  const out = new Uint8Array(v.length);
  let at = 0;
  for await (const chunk of v.body) {
    if (!(chunk instanceof Uint8Array))
      throw new TypeError('a sized stream yielded something that is not a Uint8Array');
    if (at + chunk.length > v.length)
      throw new RangeError(`a sized stream yielded more than its declared ${v.length} bytes`);
    out.set(chunk, at);
    at += chunk.length;
  }
  if (at !== v.length) throw new RangeError(`a sized stream yielded ${at} bytes, not its declared ${v.length}`);
  return out;
}
