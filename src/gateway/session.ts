// One gateway WebSocket: runs its requests, answers in request order, and pauses a page that sends or reads too slowly.
import type { WebSocket } from 'ws';
import type { Codec } from '../codec/codec.js';
import { RpcError } from '../rpc-error.js';
import { errorFrame } from '../web/error-frame.js';

/** Runs one decoded request packet: the result's bytes, or an RpcError. */
export type Dispatch = (packet: Uint8Array) => Promise<Uint8Array>;

/**
 * Answer bytes a connection may have queued for a page that does not read them before the
 * gateway stops starting its calls (and stops reading its requests) until they drain.
 */
const MAX_UNSENT_BYTES = 1 << 20;

interface Slot {
  packet: Uint8Array;
  /** What to send once every earlier answer is out: a response packet or an error frame. */
  answer?: Uint8Array | string;
}

/**
 * One WebSocket connection: each binary message is one request; answers leave in the order
 * the requests came (so clients match them by position, no ids on the wire), while up to
 * `maxInFlight` calls run at once. Beyond that, or while more than MAX_UNSENT_BYTES of
 * answers wait for a page that does not read them, the socket is paused, so a page cannot
 * make the gateway buffer without bound.
 */
export class GatewaySession {
  private readonly slots: Slot[] = [];
  private readonly waiting: Slot[] = [];
  private running = 0;
  private paused = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly codec: Codec,
    private readonly dispatch: Dispatch,
    private readonly maxInFlight: number,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer | ArrayBuffer | Buffer[], isBinary));
  }

  /** Calls still to be answered. */
  get pending(): number {
    return this.slots.length;
  }

  private onMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (!isBinary) {
      // 1003: unsupported data. Requests are uwsgi packets, always binary.
      this.ws.close(1003, 'send uwsgi request packets as binary messages');
      return;
    }
    const packet = Array.isArray(data)
      ? Buffer.concat(data)
      : data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : data;
    const slot: Slot = { packet };
    this.slots.push(slot);
    if (this.waiting.length === 0 && this.hasRoom()) this.start(slot);
    else {
      this.waiting.push(slot);
      if (!this.paused) {
        this.paused = true;
        this.ws.pause();
      }
    }
  }

  private hasRoom(): boolean {
    return this.running < this.maxInFlight && this.ws.bufferedAmount <= MAX_UNSENT_BYTES;
  }

  /** Starts waiting calls while there is room; reads again once none wait. */
  private resumeIfRoom(): void {
    while (this.waiting.length > 0 && this.hasRoom()) this.start(this.waiting.shift()!);
    if (this.paused && this.waiting.length === 0) {
      this.paused = false;
      this.ws.resume();
    }
  }

  private start(slot: Slot): void {
    this.running++;
    this.dispatch(slot.packet)
      .then(
        (result) => {
          if (result.length === 0) {
            // uWSGI's client takes an empty answer as a failure; so does ours.
            slot.answer = errorFrame('NO_ANSWER', 'the function returned an empty result');
          } else {
            slot.answer = this.codec.encodeResponse(result).slice();
          }
        },
        (err) => {
          const e = err instanceof RpcError ? err : new RpcError('FUNCTION_FAILED', String(err));
          slot.answer = errorFrame(e.code, e.message);
        },
      )
      .then(() => {
        this.running--;
        this.flush();
        this.resumeIfRoom();
      });
  }

  private flush(): void {
    while (this.slots.length > 0 && this.slots[0].answer !== undefined) {
      const answer = this.slots.shift()!.answer!;
      if (this.ws.readyState !== this.ws.OPEN) continue;
      // Written to the socket: room for the calls held back by a slow reader.
      this.ws.send(answer, { binary: typeof answer !== 'string' }, () => this.resumeIfRoom());
    }
  }
}
