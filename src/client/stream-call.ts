// client.stream(): one call on its own connection whose result is yielded as it arrives.
import type { Socket } from 'node:net';
import { latin1 } from '../codec/bytes.js';
import type { Codec } from '../codec/codec.js';
import { MODIFIER2, RPC_MODIFIER1 } from '../codec/constants.js';
import { RpcError } from '../rpc-error.js';
import { NO_ANSWER_MESSAGE, connectError, neverSent, tlsError } from './errors.js';
import { type TlsDialer, dial, isTlsError } from './tls.js';
import type { NodeAddress } from '../address/address.js';
import { DeadlineCallback, Deadlines } from './deadlines.js';

const CONTENT_LENGTH = 'CONTENT_LENGTH';
const MAX_SAFE_DIGITS = 16;

/**
 * One call on its own connection whose result is yielded as it arrives: the plain answer
 * (up to 65535 bytes), the 64-bit form (CONTENT_LENGTH bytes after its dict), or for raw
 * calls the bare bytes up to EOF. Nothing is gathered, so the result may be any size
 * (maxResponse does not apply). Each yielded chunk is the caller's to keep.
 *
 * `timeout` bounds every wait for the server: connecting and the header, then each chunk.
 * The clock stops while the caller holds a chunk, so a slow consumer is never the cause.
 */
export async function* streamCall(
  codec: Codec,
  address: NodeAddress,
  tls: TlsDialer | null,
  node: string,
  packet: Uint8Array,
  raw: boolean,
  timeout: number,
  signal: AbortSignal | undefined,
  deadlines: Deadlines,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { socket, ready } = dial(address, tls) as { socket: Socket; ready: string };
  let connected = false;
  let tcpUp = false;
  socket.once(ready, () => {
    connected = true;
  });
  socket.once('connect', () => {
    tcpUp = true;
  });
  socket.write(packet);
  const it = socket[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let received = 0;
  const fail = (err: unknown): RpcError => {
    if (err instanceof RpcError) return err;
    if (!connected) return connectError(err as Error, node, address.tls && tcpUp);
    if (isTlsError(err)) return tlsError(err as Error, node);
    const how = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return new RpcError('NO_ANSWER', `${node}: the connection failed after ${received} answer bytes (${how})`, node, {
      cause: err,
    });
  };
  /** The next chunk, or null at EOF; bounded by the timeout (among the client's deadlines) and the signal. */
  const next = (): Promise<Buffer | null> =>
    new Promise((resolve, reject) => {
      const wait = new DeadlineCallback(() => stop('TIMEOUT'));
      const done = (): void => {
        Deadlines.remove(wait);
        signal?.removeEventListener('abort', onAbort);
      };
      const stop = (code: 'TIMEOUT' | 'ABORTED'): void => {
        done();
        const when = connected ? 'after the call was sent (it may have run)' : 'before the call was sent';
        const what = code === 'TIMEOUT' ? `nothing from the server within ${timeout} ms` : 'aborted';
        const err = new RpcError(
          code,
          `${node}: ${what} (${received} answer bytes read), ${when}`,
          node,
          code === 'ABORTED' ? { cause: signal?.reason } : undefined,
        );
        reject(connected ? err : neverSent(err));
      };
      const onAbort = (): void => stop('ABORTED');
      if (signal?.aborted) return stop('ABORTED');
      if (timeout !== Infinity) deadlines.add(wait, timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      it.next().then(
        (r) => {
          done();
          resolve(r.done === true ? null : r.value);
        },
        (err: unknown) => {
          done();
          reject(fail(err));
        },
      );
    });
  const cut = (what: string): RpcError => new RpcError('NO_ANSWER', `${node}: ${what}`, node);

  let held: Buffer | null = null;
  /** Exactly n header bytes (they are small: copied together). */
  const take = async (n: number, what: string): Promise<Buffer> => {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const c = held ?? (await next());
      held = null;
      if (c === null) {
        throw cut(received + have === 0 ? NO_ANSWER_MESSAGE : `closed in the middle of the ${what}`);
      }
      const use = Math.min(n - have, c.length);
      parts.push(c.subarray(0, use));
      have += use;
      if (use < c.length) held = c.subarray(use);
    }
    received += n;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
  };

  try {
    if (raw) {
      for (;;) {
        const c = await next();
        if (c === null) break;
        received += c.length;
        yield c;
      }
      if (received === 0) throw cut(NO_ANSWER_MESSAGE);
      return;
    }
    const head = await take(4, 'header');
    const size = head[1] | (head[2] << 8);
    let length: number;
    if (head[0] !== RPC_MODIFIER1 || (head[3] !== MODIFIER2.UWSGI && head[3] !== MODIFIER2.DICT)) {
      throw new RpcError(
        'MALFORMED',
        `${node}: the answer's header is (${head[0]}, ${head[3]}), not an RPC answer (173, 0 or 5)`,
        node,
      );
    }
    if (head[3] === MODIFIER2.UWSGI) {
      length = size;
    } else {
      length = contentLength(codec, await take(size, '64-bit answer header'), node);
    }
    if (length === 0) throw cut('empty answer (unknown function, the function failed or returned nothing)');
    let left = length;
    while (left > 0) {
      const c = held ?? (await next());
      held = null;
      if (c === null) throw cut(`the answer was cut off after ${length - left} of ${length} bytes`);
      const use = Math.min(left, c.length);
      left -= use;
      received += use;
      yield use === c.length ? c : c.subarray(0, use);
    }
  } finally {
    socket.destroy();
  }
}

/** CONTENT_LENGTH from a 64-bit-form answer's dict: plain decimal digits, a safe integer. */
function contentLength(codec: Codec, dict: Uint8Array, node: string): number {
  let vars: [Uint8Array, Uint8Array][];
  try {
    vars = codec.decodeVars(dict);
  } catch (err) {
    throw new RpcError('MALFORMED', `${node}: malformed 64-bit answer header: ${(err as Error).message}`, node, {
      cause: err,
    });
  }
  for (const [k, v] of vars) {
    if (latin1(k) !== CONTENT_LENGTH) continue;
    const s = latin1(v);
    if (/^[0-9]{1,16}$/.test(s) && s.length <= MAX_SAFE_DIGITS && Number.isSafeInteger(Number(s))) return Number(s);
    break;
  }
  throw new RpcError('MALFORMED', `${node}: the 64-bit answer has no valid CONTENT_LENGTH`, node);
}
