import { createServer, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import { createCodecSync } from '../../../src/codec/index.js';

const codec = createCodecSync();

/** A request as the tiny server read it off the wire. */
export interface SeenRequest {
  modifier1: number;
  modifier2: number;
  /** The whole packet, header included (copied). */
  packet: Uint8Array;
  name: string;
  args: Uint8Array[];
  /** Which connection (0-based, in accept order) carried it. */
  connection: number;
}

export type Handler = (req: SeenRequest, socket: Socket) => void | Promise<void>;

export interface TinyServer {
  /** 'host:port' or the unix socket path to give the client. */
  node: string;
  /** Connections accepted so far, and how many of them have closed. */
  connections: number;
  closed: number;
  requests: SeenRequest[];
  /** Handlers running right now, and the most at once. */
  running: number;
  maxRunning: number;
  close(): Promise<void>;
}

/** The uwsgi answer for `result` (plain form, 64-bit form above 65535 bytes). */
export function answer(result: string | Uint8Array): Uint8Array {
  return codec.encodeResponse(result, 0);
}

/**
 * A minimal uwsgi listener written for one behaviour a real peer cannot produce (malformed
 * answers, hangs, keep-alive...). It decodes every request frame it receives and hands it to
 * `handler`, which answers however the test wants.
 */
export function tinyServer(handler: Handler, options: { path?: string } = {}): Promise<TinyServer> {
  const sockets = new Set<Socket>();
  const state: TinyServer = {
    node: '',
    connections: 0,
    closed: 0,
    requests: [],
    running: 0,
    maxRunning: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((socket) => {
    const connection = state.connections++;
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      state.closed++;
    });
    socket.on('error', () => {});
    const decoder = codec.createDecoder();
    socket.on('data', (chunk) => {
      const frames = decoder.decode(chunk);
      if (decoder.error !== null) {
        socket.destroy();
        return;
      }
      for (const f of frames) {
        const items = codec.decodeArray(f.body);
        const packet = new Uint8Array(4 + f.body.length);
        packet.set([f.modifier1, f.body.length & 255, f.body.length >> 8, f.modifier2]);
        packet.set(f.body, 4);
        const req: SeenRequest = {
          modifier1: f.modifier1,
          modifier2: f.modifier2,
          packet,
          name: new TextDecoder().decode(items[0] ?? new Uint8Array(0)),
          args: items.slice(1).map((a) => a.slice()),
          connection,
        };
        state.requests.push(req);
        state.running++;
        state.maxRunning = Math.max(state.maxRunning, state.running);
        Promise.resolve(handler(req, socket)).finally(() => {
          state.running--;
        });
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const ready = (): void => {
      const a = server.address();
      state.node = typeof a === 'string' ? a : `127.0.0.1:${a!.port}`;
      resolve(state);
    };
    if (options.path) server.listen(options.path, ready);
    else server.listen(0, '127.0.0.1', ready);
  });
}

/**
 * tinyServer() for the tests of one describe(): every server started through the returned
 * function is closed after each test. Call it before registering other afterEach hooks that
 * must run first (vitest runs after-hooks in reverse order of registration).
 */
export function tinyServersPerTest(): (...a: Parameters<typeof tinyServer>) => Promise<TinyServer> {
  const servers: TinyServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (...a) => {
    const s = await tinyServer(...a);
    servers.push(s);
    return s;
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (up to `ms`) until `cond()` holds; false if it never did. */
export async function until(cond: () => boolean, ms = 2000): Promise<boolean> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}
