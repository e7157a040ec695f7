// keepAlive: reuse with servers that keep connections (answers pipelined in order), a safe
// fallback with servers that close after answering (uWSGI), and never a call sent twice.
import type { Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/index.js';
import type { Codec } from '../../src/codec/index.js';
import { codecFor, ENGINES } from '../helpers/engines.js';
import { answer, sleep, type SeenRequest, tinyServersPerTest, until } from './helpers/tiny-server.js';
import { rejection } from '../helpers/rejection.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * Our server's manners: answers each request of a connection in order and keeps the
 * connection; `fn(req)` gives the result ('' = close without an answer, as for an unknown
 * function) and `delay(req)` how long the function takes.
 */
function keeper(
  fn: (req: SeenRequest) => string = (r) => `${r.name}(${r.args.map(text).join(',')})`,
  delay: (req: SeenRequest) => number = () => 0,
) {
  const chains = new WeakMap<Socket, Promise<void>>();
  return (req: SeenRequest, socket: Socket): Promise<void> => {
    const started = sleep(delay(req));
    const done = (chains.get(socket) ?? Promise.resolve()).then(async () => {
      await started;
      const out = fn(req);
      if (out === '') socket.destroy();
      else if (!socket.destroyed) socket.write(answer(out));
    });
    chains.set(socket, done);
    return done;
  };
}

/** uWSGI's manners: one answer, then close (`after` ms later). */
function closer(after = 0) {
  return async (req: SeenRequest, socket: Socket): Promise<void> => {
    socket.write(answer(`${req.name}(${req.args.map(text).join(',')})`));
    if (after > 0) await sleep(after);
    socket.destroy();
  };
}

const seq = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));

/**
 * A keeping server that closes gracefully right behind the `n`th answer of each connection, as
 * a max-requests limit or a restart after the in-flight answers: the answer and the FIN (`end`)
 * or the close (`destroy`) leave in the same turn. `closes` counts them.
 */
function closesAfter(n: number, how: 'end' | 'destroy') {
  const answered = new WeakMap<Socket, number>();
  const handler = (req: SeenRequest, socket: Socket): void => {
    const k = (answered.get(socket) ?? 0) + 1;
    answered.set(socket, k);
    socket.write(answer(`${req.name}(${req.args.map(text).join(',')})`));
    if (k < n) return;
    handler.closes++;
    if (how === 'end') socket.end();
    else socket.destroy();
  };
  handler.closes = 0;
  return handler;
}

/** One call's result, or its error code: a failed call shows in a comparison instead of ending the loop. */
const outcome = (p: Promise<Uint8Array>): Promise<string> =>
  p.then(text, (e: { code?: string }) => `failed: ${e.code ?? String(e)}`);

/** Waits (at most 2 s) until the client trusts `node` to keep connections: its first answered connection outlived probation. */
const proven = (client: RpcClient, node: string): Promise<boolean> =>
  until(() => client.nodeBehaviour(node) === 'keeps');

for (const engine of ENGINES) {
  describe(`keepAlive (${engine} engine)`, () => {
    let codec: Codec;
    // before the afterEach below: the clients close first, then the servers
    const serve = tinyServersPerTest();
    const clients: RpcClient[] = [];
    const make = (o: ConstructorParameters<typeof RpcClient>[0] = {}): RpcClient => {
      const c = new RpcClient({ codec, keepAlive: true, probation: 30, ...o });
      clients.push(c);
      return c;
    };

    beforeAll(async () => {
      codec = await codecFor(engine);
    });

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    });

    it('a server that keeps connections: proven after one answer, then one connection serves every call', async () => {
      const s = await serve(keeper());
      const client = make();
      expect(text(await client.call(s.node, 'f', ['first']))).toBe('f(first)');
      expect(client.nodeBehaviour(s.node)).toBe('unknown');
      expect(await proven(client, s.node)).toBe(true);
      for (const i of seq(50)) expect(text(await client.call(s.node, 'f', [i]))).toBe(`f(${i})`);
      expect(s.connections).toBe(1);
      expect(s.requests).toHaveLength(51);
    });

    it('pipelining: several calls in flight on one connection, answers matched in order', async () => {
      const s = await serve(keeper(undefined, () => 5));
      const client = make({ pipelining: 8, maxSockets: 1 });
      await client.call(s.node, 'warm', []);
      expect(await proven(client, s.node)).toBe(true);
      const out = await Promise.all(seq(40).map((i) => client.call(s.node, 'f', [i])));
      expect(out.map(text)).toEqual(seq(40).map((i) => `f(${i})`));
      expect(s.connections).toBe(1);
      expect(s.maxRunning).toBeGreaterThan(1);
      expect(s.maxRunning).toBeLessThanOrEqual(8);
      expect(s.requests).toHaveLength(41);
    });

    it('a pipelined call that times out is skipped: the next call gets its own answer', async () => {
      const s = await serve(keeper(undefined, (r) => (r.name === 'slow' ? 300 : 0)));
      const client = make({ pipelining: 4, maxSockets: 1 });
      await client.call(s.node, 'warm', []);
      expect(await proven(client, s.node)).toBe(true);
      const slow = client.call(s.node, 'slow', [], { timeout: 100 });
      const fast = client.call(s.node, 'fast', []);
      expect((await rejection(slow)).code).toBe('TIMEOUT');
      expect(text(await fast)).toBe('fast()');
      expect(s.connections).toBe(1);
    });

    it('a call the server closes on (unknown function) is NO_ANSWER and is not sent again; the next call reconnects', async () => {
      const s = await serve(keeper((r) => (r.name === 'nope' ? '' : 'ok')));
      const client = make();
      await client.call(s.node, 'warm', []);
      expect(await proven(client, s.node)).toBe(true);
      expect((await rejection(client.call(s.node, 'nope', []))).code).toBe('NO_ANSWER');
      expect(text(await client.call(s.node, 'f', []))).toBe('ok');
      expect(s.requests.map((r) => r.name)).toEqual(['warm', 'nope', 'f']);
      expect(s.connections).toBe(2);
    });

    it('pipelined calls behind one that got no answer fail (they may have run) and are never re-sent', async () => {
      const s = await serve(
        keeper(
          (r) => (r.name === 'nope' ? '' : 'ok'),
          (r) => (r.name === 'nope' ? 30 : 60),
        ),
      );
      const client = make({ pipelining: 4, maxSockets: 1 });
      await client.call(s.node, 'warm', []);
      expect(await proven(client, s.node)).toBe(true);
      const calls = [client.call(s.node, 'nope', []), client.call(s.node, 'a', []), client.call(s.node, 'b', [])];
      const errs = await Promise.all(calls.map(rejection));
      expect(errs.map((e) => e.code)).toEqual(['NO_ANSWER', 'NO_ANSWER', 'NO_ANSWER']);
      expect(s.requests.map((r) => r.name)).toEqual(['warm', 'nope', 'a', 'b']);
    });

    it('a node that went away: its idle pooled connection is noticed closed, the call is refused (never written)', async () => {
      const s = await serve(keeper());
      const client = make();
      await client.call(s.node, 'warm', []);
      expect(await proven(client, s.node)).toBe(true);
      await s.close(); // drops its connections and stops listening
      const err = await rejection(client.call(s.node, 'f', []));
      expect(err.code).toBe('REFUSED');
      expect(s.requests.map((r) => r.name)).toEqual(['warm']);
    });

    it('the server closing an idle connection just before a call: the call goes out on a new connection, once', async () => {
      const sockets: Socket[] = [];
      const s = await serve((req, socket) => {
        sockets.push(socket);
        socket.write(answer(req.name));
      });
      const client = make();
      await client.call(s.node, 'warm', []);
      expect(await proven(client, s.node)).toBe(true);
      for (const sock of sockets) sock.destroy();
      // no wait: the client still holds the connection as idle; it writes on the next
      // turn, after polling I/O, and sees the close first
      expect(text(await client.call(s.node, 'now', []))).toBe('now');
      expect(s.requests.map((r) => r.name)).toEqual(['warm', 'now']);
      expect(s.connections).toBe(2);
    });

    it('the server closing idle connections (keep-alive timeout): the next call takes a new connection, sent once', async () => {
      const sockets: Socket[] = [];
      const s = await serve((req, socket) => {
        sockets.push(socket);
        socket.write(answer(req.name));
      });
      const client = make();
      await client.call(s.node, 'warm', []);
      expect(await proven(client, s.node)).toBe(true);
      // Idle well past probation, as a connection is before a server's keep-alive timeout
      // (the behaviour here): a close soon after an answer would say the node closes after answering.
      await sleep(80);
      // A FIN, as our server's keep-alive close; the server's side closes once the client
      // has seen it and closed its own.
      for (const sock of sockets) sock.end();
      expect(await until(() => s.closed === 1)).toBe(true);
      expect(text(await client.call(s.node, 'after', []))).toBe('after');
      expect(s.connections).toBe(2);
      expect(s.requests.map((r) => r.name)).toEqual(['warm', 'after']);
      expect(client.nodeBehaviour(s.node)).toBe('keeps');
    });

    for (const after of [0, 10]) {
      it(`a server that closes ${after ? `${after} ms ` : ''}after each answer (uWSGI): no reuse, every call sent exactly once`, async () => {
        const s = await serve(closer(after));
        const client = make();
        for (const i of seq(20)) expect(text(await client.call(s.node, 'f', [i]))).toBe(`f(${i})`);
        const many = await Promise.all(seq(30).map((i) => client.call(s.node, 'g', [i])));
        expect(many.map(text)).toEqual(seq(30).map((i) => `g(${i})`));
        // idle past the probation time (the behaviour here): still no reuse afterwards
        await sleep(80);
        for (const i of seq(10)) expect(text(await client.call(s.node, 'h', [i]))).toBe(`h(${i})`);
        expect(s.requests).toHaveLength(60);
        expect(s.connections).toBe(60);
        expect(new Set(s.requests.map((r) => r.connection)).size).toBe(60);
        expect(client.nodeBehaviour(s.node)).toBe('closes');
      });
    }

    for (const how of ['end', 'destroy'] as const) {
      it(`a server closing right behind every 5th answer (${how}): sequential calls move to a new connection, each run once`, async () => {
        const server = closesAfter(5, how);
        const s = await serve(server);
        const client = make();
        await client.call(s.node, 'warm', []);
        expect(await proven(client, s.node)).toBe(true);
        const out: string[] = [];
        for (const i of seq(100)) out.push(await outcome(client.call(s.node, 'f', [i])));
        expect(out.filter((o) => o.startsWith('failed'))).toEqual([]);
        expect(out).toEqual(seq(100).map((i) => `f(${i})`));
        // each call reached the server exactly once, and the closes did happen behind answers
        expect(s.requests.filter((r) => r.name === 'f').map((r) => text(r.args[0]))).toEqual(seq(100));
        expect(server.closes).toBeGreaterThanOrEqual(5);
        // the node is still trusted to keep connections: each one served 5 calls, none just one
        expect(client.nodeBehaviour(s.node)).toBe('keeps');
        expect(s.connections).toBe(server.closes + 1);
      });

      it(`a server closing right behind every 5th answer (${how}): concurrent callers move to new connections, each call run once`, async () => {
        const server = closesAfter(5, how);
        const s = await serve(server);
        const client = make();
        await client.call(s.node, 'warm', []);
        expect(await proven(client, s.node)).toBe(true);
        const caller = async (c: string): Promise<string[]> => {
          const out: string[] = [];
          for (const i of seq(40)) out.push(await outcome(client.call(s.node, 'f', [`${c}${i}`])));
          return out;
        };
        const callers = ['a', 'b', 'c', 'd'];
        const outs = await Promise.all(callers.map(caller));
        expect(outs.flat().filter((o) => o.startsWith('failed'))).toEqual([]);
        expect(outs).toEqual(callers.map((c) => seq(40).map((i) => `f(${c}${i})`)));
        const ran = s.requests.filter((r) => r.name === 'f').map((r) => text(r.args[0]));
        const sent = callers.flatMap((c) => seq(40).map((i) => `${c}${i}`));
        expect(ran.sort()).toEqual(sent.sort());
        expect(server.closes).toBeGreaterThanOrEqual(5);
        expect(client.nodeBehaviour(s.node)).toBe('keeps');
        // at most one connection per caller is left open, not closed after its 5th answer
        expect(s.connections).toBeLessThanOrEqual(server.closes + callers.length);
      });
    }

    it('a close the client reads only after probation (its event loop was busy) still means the node closes', async () => {
      const s = await serve(closer(5));
      const client = make();
      expect(text(await client.call(s.node, 'f', ['1']))).toBe('f(1)');
      // Busy past probation: the server's close (5 ms) and the probation timer (30 ms) are both
      // due when the loop turns again; the timer must not win just because timers run first.
      for (const end = performance.now() + 100; performance.now() < end; );
      expect(await until(() => client.nodeBehaviour(s.node) !== 'unknown')).toBe(true);
      expect(client.nodeBehaviour(s.node)).toBe('closes');
      for (const i of seq(5)) expect(text(await client.call(s.node, 'g', [i]))).toBe(`g(${i})`);
      expect(s.connections).toBe(6);
    });

    it('maxSockets bounds connections per node; calls beyond it wait (per-call mode too)', async () => {
      for (const keepAlive of [false, true]) {
        const s = await serve(keeper(undefined, () => 20));
        const client = make({ keepAlive, maxSockets: 2 });
        const out = await Promise.all(seq(12).map((i) => client.call(s.node, 'f', [i])));
        expect(out.map(text)).toEqual(seq(12).map((i) => `f(${i})`));
        expect(s.maxRunning).toBeLessThanOrEqual(2);
        expect(s.maxRunning).toBe(2);
      }
    });

    it('a waiting call times out without being sent', async () => {
      const s = await serve(keeper(undefined, () => 200));
      const client = make({ maxSockets: 1 });
      const first = client.call(s.node, 'slow', []);
      const second = client.call(s.node, 'waits', [], { timeout: 50 });
      expect((await rejection(second)).code).toBe('TIMEOUT');
      expect(text(await first)).toBe('slow()');
      expect(s.requests.map((r) => r.name)).toEqual(['slow']);
    });

    it('raw calls never reuse a connection', async () => {
      const s = await serve((req, socket) => {
        if (req.modifier2 === 1) socket.end(`raw ${req.name}`);
        else socket.write(answer(req.name));
      });
      const client = make();
      await client.call(s.node, 'warm', []);
      expect(await proven(client, s.node)).toBe(true);
      expect(text(await client.call(s.node, 'r1', [], { raw: true }))).toBe('raw r1');
      expect(text(await client.call(s.node, 'r2', [], { raw: true }))).toBe('raw r2');
      expect(text(await client.call(s.node, 'plain', []))).toBe('plain');
      expect(s.connections).toBe(3);
    });

    it('idleTimeout closes idle pooled connections; close() closes the rest and refuses new calls', async () => {
      const s = await serve(keeper());
      const s2 = await serve(keeper());
      const client = make({ idleTimeout: 100 });
      await client.call(s.node, 'a', []);
      // the first connection is closed by the client once idle for 100 ms
      expect(await until(() => s.closed === 1)).toBe(true);
      await client.call(s.node, 'b', []);
      expect(s.connections).toBe(2);
      expect(s.closed).toBe(1);
      await client.call(s2.node, 'c', []);
      expect(await proven(client, s2.node)).toBe(true);
      expect(s2.closed).toBe(0);
      await client.close();
      expect(await until(() => s2.closed === s2.connections && s.closed === s.connections)).toBe(true);
      expect((await rejection(client.call(s.node, 'd', []))).code).toBe('INVALID');
    });
  });
}
