// RpcWebSocketClient: RPC calls from any runtime with a WebSocket, through the gateway, answers matched by order.
import type { Codec } from '../codec/codec.js';
import { type Input, utf8 } from '../codec/bytes.js';
import { createCodecSync } from '../codec/create.js';
import { RpcError } from '../rpc-error.js';
import {
  DEFAULT_RECONNECT,
  DEFAULT_WEB_TIMEOUT,
  type WebCallOptions,
  type WebClientOptions,
} from './client-options.js';
import { parseErrorFrame } from './error-frame.js';
import type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';

/** A call's result with the packets that carried it (for tools that show the wire). */
export interface CallDetail {
  result: Uint8Array;
  /** The request packet sent. */
  request: Uint8Array;
  /** The response packet received (a uwsgi answer: header + result, or the 64-bit form). */
  response: Uint8Array;
}

interface Call {
  request: Uint8Array;
  settled: boolean;
  resolve(d: CallDetail): void;
  reject(e: RpcError): void;
  timer?: ReturnType<typeof setTimeout>;
  unlisten?: () => void;
}

export type WebClientState = 'idle' | 'connecting' | 'open' | 'closed';

/**
 * Calls RPC functions through the WebSocket gateway (`serve --ws-socket`), from a page or any
 * runtime with a WebSocket. One connection carries many calls at once: each request is one
 * binary message, and the gateway answers in request order, so answers are matched to calls
 * by position. A call that timed out keeps its place until its late answer arrives.
 * A call already sent when the connection drops fails with CONNECTION (it may have run:
 * it is never sent twice); calls not yet sent wait for the reconnect.
 */
export class RpcWebSocketClient {
  readonly url: string;
  private readonly codec: Codec;
  private readonly timeout: number;
  private readonly reconnect: false | { initialDelay: number; maxDelay: number };
  private readonly WS: WebSocketConstructor;
  private socket: WebSocketLike | null = null;
  private opened = false;
  private closed = false;
  private failures = 0;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private readonly sent: Call[] = [];
  private unsent: Call[] = [];

  constructor(url: string, options: WebClientOptions = {}) {
    this.url = url;
    this.codec = options.codec ?? createCodecSync();
    const t = options.timeout ?? DEFAULT_WEB_TIMEOUT;
    this.timeout = t === 0 ? Infinity : t;
    this.reconnect = options.reconnect === false ? false : { ...DEFAULT_RECONNECT, ...options.reconnect };
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS)
      throw new RpcError('INVALID', 'no WebSocket in this runtime: pass options.WebSocket (e.g. from the ws package)');
    this.WS = WS;
  }

  get state(): WebClientState {
    if (this.closed) return 'closed';
    if (this.socket === null) return 'idle';
    return this.opened ? 'open' : 'connecting';
  }

  /** Calls not yet answered (sent or waiting to be sent). */
  get pending(): number {
    return this.sent.filter((c) => !c.settled).length + this.unsent.length;
  }

  /** `name(...args)` on the gateway's side: the result's bytes. */
  async call(name: Input, ...args: Input[]): Promise<Uint8Array> {
    return (await this.request(name, args)).result;
  }

  /** `name(...args)`: the result as UTF-8 text. */
  async callText(name: Input, ...args: Input[]): Promise<string> {
    return utf8(await this.call(name, ...args));
  }

  /** The full form: args as an array, a signal and a timeout; resolves with the packets too. */
  request(name: Input, args: readonly Input[] = [], options: WebCallOptions = {}): Promise<CallDetail> {
    return new Promise<CallDetail>((resolve, reject) => {
      if (this.closed) throw new RpcError('INVALID', 'the client is closed', this.url);
      if (options.signal?.aborted) throw new RpcError('ABORTED', 'aborted before it started', this.url);
      let request: Uint8Array;
      try {
        // A copy: encoders may reuse their buffer, and this call may wait for a connection.
        request = this.codec.encodeRequest(name, args).slice();
      } catch (err) {
        const code = (err as { code?: string }).code === 'INVALID_INPUT' ? 'INVALID' : 'TOO_LARGE';
        throw new RpcError(code, (err as Error).message, this.url, { cause: err });
      }
      const call: Call = { request, settled: false, resolve, reject };
      const timeout = options.timeout === undefined ? this.timeout : options.timeout === 0 ? Infinity : options.timeout;
      if (timeout !== Infinity)
        call.timer = setTimeout(
          () => this.settle(call, new RpcError('TIMEOUT', `no answer within ${timeout} ms`, this.url)),
          timeout,
        );
      if (options.signal) {
        const signal = options.signal;
        const onAbort = () => this.settle(call, new RpcError('ABORTED', 'aborted', this.url, { cause: signal.reason }));
        signal.addEventListener('abort', onAbort, { once: true });
        call.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
      if (this.opened && this.socket) this.send(call);
      else {
        this.unsent.push(call);
        this.connect();
      }
    }).catch((err) => {
      throw err instanceof RpcError ? err : new RpcError('INVALID', String(err), this.url);
    });
  }

  /** Closes the connection; every call not yet answered fails. */
  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const s = this.socket;
    this.socket = null;
    this.opened = false;
    if (s) {
      detach(s);
      s.close(1000, 'client closed');
    }
    this.failAll(new RpcError('CONNECTION', 'the client was closed before the answer', this.url));
  }

  private connect(): void {
    if (this.socket || this.retry || this.closed) return;
    let s: WebSocketLike;
    try {
      s = new this.WS(this.url);
    } catch (err) {
      this.failAll(new RpcError('INVALID', `cannot open ${this.url}: ${(err as Error).message}`, this.url));
      return;
    }
    s.binaryType = 'arraybuffer';
    this.socket = s;
    s.onopen = () => {
      this.opened = true;
      this.failures = 0;
      const waiting = this.unsent;
      this.unsent = [];
      for (const c of waiting) if (!c.settled) this.send(c);
    };
    s.onmessage = (ev) => this.answer(ev.data);
    s.onerror = () => {
      /* onclose follows with the code */
    };
    s.onclose = (ev) => this.dropped(s, ev.code, ev.reason);
  }

  private send(call: Call): void {
    this.sent.push(call);
    this.socket!.send(call.request);
  }

  private answer(data: unknown): void {
    const call = this.sent.shift();
    if (!call) {
      this.socket?.close(1002, 'an answer with no call');
      return;
    }
    if (call.settled) return; // timed out or aborted: its late answer only keeps the order
    if (typeof data === 'string') {
      this.settle(call, parseErrorFrame(data, this.url));
      return;
    }
    const response = new Uint8Array(data as ArrayBuffer);
    try {
      const { result } = this.codec.decodeResponse(response);
      this.settle(call, null, { result, request: call.request, response });
    } catch (err) {
      this.settle(
        call,
        new RpcError('MALFORMED', `not a uwsgi answer: ${(err as Error).message}`, this.url, { cause: err }),
      );
    }
  }

  private dropped(s: WebSocketLike, code: number, reason: string): void {
    if (this.socket !== s) return;
    detach(s);
    this.socket = null;
    const wasOpen = this.opened;
    this.opened = false;
    const why = `connection closed (${code}${reason ? ` ${reason}` : ''})`;
    for (const c of this.sent.splice(0))
      this.settle(c, new RpcError('CONNECTION', `${why} before the answer; the call may have run`, this.url));
    if (!wasOpen) this.failures++;
    if (this.unsent.length === 0 || this.closed) return;
    if (this.reconnect === false) {
      this.failAll(new RpcError(wasOpen ? 'CONNECTION' : 'REFUSED', `${why}: ${this.url}`, this.url));
      return;
    }
    const delay = Math.min(this.reconnect.maxDelay, this.reconnect.initialDelay * 2 ** Math.max(0, this.failures - 1));
    this.retry = setTimeout(
      () => {
        this.retry = null;
        this.unsent = this.unsent.filter((c) => !c.settled);
        if (this.unsent.length > 0) this.connect();
      },
      wasOpen ? 0 : delay,
    );
  }

  private settle(call: Call, err: RpcError | null, detail?: CallDetail): void {
    if (call.settled) return;
    call.settled = true;
    if (call.timer !== undefined) clearTimeout(call.timer);
    call.unlisten?.();
    const i = this.unsent.indexOf(call);
    if (i >= 0) this.unsent.splice(i, 1);
    if (err) call.reject(err);
    else call.resolve(detail!);
  }

  private failAll(err: RpcError): void {
    for (const c of [...this.sent.splice(0), ...this.unsent.splice(0)]) this.settle(c, err);
  }
}

function detach(s: WebSocketLike): void {
  s.onopen = s.onmessage = s.onerror = s.onclose = null;
}
