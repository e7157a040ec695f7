// HttpService: the routes, bridges and remote-call client HTTP requests need, for both fronts (--http-socket and
// nginx's uwsgi_pass).
import { CodecError } from '../codec/errors.js';
import type { Codec } from '../codec/codec.js';
import type { RpcClient } from '../client/client.js';
import { type Bridge, needsBody } from '../dispatch/bridge.js';
import { HttpDispatcher } from '../dispatch/dispatcher.js';
import { RequestVars } from '../http/request-vars.js';
import type { HttpResponse } from '../http/response.js';
import { rpcTarget } from '../dispatch/target.js';
import type { Router } from '../routing/router.js';
import type { LogLine } from './log.js';
import type { HttpConfig } from './options.js';
import type { Registry } from '../functions/registry.js';

/**
 * What HTTP requests need, for both fronts (--http-socket and nginx's uwsgi_pass):
 * the routes, the bridges, and a client for `func@node` route actions (made on first use).
 */
export class HttpService {
  readonly dispatcher: HttpDispatcher;
  readonly bodyTimeout: number;
  private client: RpcClient | null = null;

  constructor(registry: Registry, router: Router | null, log: LogLine, options: HttpConfig) {
    const target = rpcTarget(registry, async (node, name, args) => {
      // the client (and node:tls with it) loads with the first remote call: most servers make none
      if (this.client === null) {
        const { RpcClient } = await import('../client/client.js');
        this.client ??= new RpcClient({ registry });
      }
      return this.client.call(node, name, args);
    });
    this.dispatcher = new HttpDispatcher({
      router,
      target,
      log,
      maxBody: options.maxBody,
      xml: options.xml,
      json: options.json,
    });
    this.bodyTimeout = options.bodyTimeout;
  }

  /**
   * A uwsgi-protocol HTTP request: `varsBody` is the packet's vars dict; `readBody(n)` reads
   * the n body bytes that follow it (null if they never come). Resolves with the raw HTTP
   * answer to write (empty: close without a byte, as uWSGI), or null for a packet that is
   * not a vars dict (uWSGI drops those too).
   */
  async answerPacket(
    codec: Codec,
    varsBody: Uint8Array,
    bridge: Bridge,
    readBody: (n: number) => Promise<Uint8Array | null>,
  ): Promise<Uint8Array | null> {
    let vars: RequestVars;
    try {
      vars = RequestVars.fromPairs(codec.decodeVars(varsBody));
    } catch (err) {
      if (err instanceof CodecError) return null;
      throw err;
    }
    let res: HttpResponse;
    if (needsBody(bridge)) {
      if (vars.contentLength > this.dispatcher.maxBody) {
        res = this.dispatcher.bodyTooLarge();
      } else {
        const body = await readBody(vars.contentLength);
        if (body === null) return new Uint8Array(0);
        res = await this.dispatcher.dispatch(vars, bridge, body);
      }
    } else {
      res = await this.dispatcher.dispatch(vars, bridge);
    }
    return res.toBytes(vars.protocol);
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}
