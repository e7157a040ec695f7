// RpcGateway: the HTTP + WebSocket server pages call RPC functions through (local, or forwarded to allowed nodes).
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Codec } from '../codec/codec.js';
import { CodecError } from '../codec/errors.js';
import { RPC_MODIFIER1 } from '../codec/constants.js';
import { createCodecSync } from '../codec/create.js';
import { utf8 } from '../codec/bytes.js';
import { RpcClient } from '../client/client.js';
import { formatAddress, parseAddress } from '../address/address.js';
import { RpcError } from '../rpc-error.js';
import { builtBundle, demoPage } from './demo-assets.js';
import { type GatewayConfig, type GatewayOptions, resolveGatewayOptions } from './options.js';
import { originAllowed } from './origin.js';
import { GatewaySession } from './session.js';
import { resolveTarget } from './target.js';

/**
 * The WebSocket gateway: browsers cannot open TCP sockets, so a page sends uwsgi RPC request
 * packets as binary WebSocket messages and gets uwsgi response packets back (failures: a text
 * error frame, see web/error-frame.ts). Calls go to the local registry or are forwarded to an
 * allowed node (e.g. a uWSGI server) with RpcClient. The same HTTP server serves the demo page.
 */
export class RpcGateway {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly codec: Codec;
  private readonly client: RpcClient;
  private readonly ownClient: boolean;
  private readonly config: GatewayConfig;
  private readonly sessions = new Set<GatewaySession>();
  private address = '';

  constructor(options: GatewayOptions) {
    const config = resolveGatewayOptions(options);
    this.config = config;
    this.codec = options.codec ?? createCodecSync();
    this.ownClient = options.client === undefined;
    this.client =
      options.client ??
      new RpcClient({ codec: this.codec, ...(options.timeout !== undefined ? { timeout: options.timeout } : {}) });
    this.http = createServer((req, res) => this.page(req, res));
    this.wss = new WebSocketServer({
      server: this.http,
      maxPayload: config.maxMessage,
      perMessageDeflate: false,
      verifyClient: (info, done) => {
        if (!originAllowed(info.req, config.origins)) return done(false, 403, 'origin not allowed');
        if (this.wss.clients.size >= config.maxConnections) return done(false, 503, 'too many connections');
        done(true);
      },
    });
    this.wss.on('connection', (ws) => this.accept(ws));
  }

  /** Listens on host:port (port 0: any) and resolves with the address, e.g. 127.0.0.1:41234. */
  listen(address: string | number): Promise<string> {
    const a = parseAddress(address);
    if (a.kind !== 'tcp') throw new RpcError('INVALID', `--ws-socket ${address}: use HOST:PORT`);
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(a.port, a.host, () => {
        this.http.off('error', reject);
        const { port } = this.http.address() as { port: number };
        this.address = formatAddress({ ...a, port });
        resolve(this.address);
      });
    });
  }

  /** ws://HOST:PORT/ once listening. */
  get url(): string {
    return `ws://${this.address}/`;
  }

  /**
   * Stops accepting, closes every connection (1001 going away; dropped if the page has not
   * answered within closeHandshakeTimeout), and the forwarding client if ours.
   */
  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.close(1001, 'gateway closing');
    const closed = new Promise<void>((r) => this.wss.close(() => r()));
    const late = setTimeout(() => {
      for (const ws of this.wss.clients) ws.terminate();
    }, this.config.closeHandshakeTimeout);
    await closed;
    clearTimeout(late);
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.http.close(() => r()));
    if (this.ownClient) await this.client.close();
  }

  private accept(ws: WebSocket): void {
    const s = new GatewaySession(ws, this.codec, (p) => this.dispatch(p), this.config.maxInFlight);
    this.sessions.add(s);
    ws.on('close', () => this.sessions.delete(s));
    ws.on('error', (err) => this.config.log(`ws: ${err.message}`));
  }

  private async dispatch(packet: Uint8Array): Promise<Uint8Array> {
    let name: Uint8Array;
    let args: Uint8Array[];
    try {
      const d = this.codec.decodeRequest(packet);
      if (d.modifier1 !== RPC_MODIFIER1 || d.modifier2 !== 0) {
        throw new RpcError(
          'INVALID',
          `modifier1 ${d.modifier1} modifier2 ${d.modifier2}: the gateway takes RPC requests (173, 0)`,
        );
      }
      ({ name, args } = d);
    } catch (err) {
      if (err instanceof CodecError) throw new RpcError('MALFORMED', `not a uwsgi RPC request: ${err.message}`);
      throw err;
    }
    const target = resolveTarget(name, (n) => this.config.registry.lookup(n) !== undefined, this.config.forward);
    if (target.kind === 'local') {
      return this.config.registry.call(target.name, ...args).catch((err: unknown) => {
        // What the function threw stays in the gateway's log: a page learns only that it failed.
        if (err instanceof RpcError && err.code === 'FUNCTION_FAILED') {
          this.config.log(`ws: ${err.message}`);
          throw new RpcError('FUNCTION_FAILED', `RPC function "${utf8(target.name)}" failed`);
        }
        throw err;
      });
    }
    return this.client.call(target.node, target.name, args);
  }

  private page(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, {
        'content-type': `${type}; charset=utf-8`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      res.end(body);
    };
    if (!this.config.demo || req.method !== 'GET') return send(404, 'text/plain', 'not found\n');
    try {
      if (path === '/') return send(200, 'text/html', demoPage());
      if (path === '/uwsgi-rpc.js') return send(200, 'text/javascript', (this.config.bundle ?? builtBundle)());
    } catch (err) {
      return send(500, 'text/plain', `${(err as Error).message}\n`);
    }
    send(404, 'text/plain', 'not found\n');
  }
}
