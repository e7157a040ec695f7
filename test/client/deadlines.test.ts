// The client's deadlines on one timer (src/client/deadlines.ts): calls time out in deadline
// order and never early, an answer just before the deadline wins, and no timer is left holding
// the process once nothing waits (also after close()).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/index.js';
import { Registry } from '../../src/functions/registry.js';
import type { Deadlines } from '../../src/client/deadlines.js';
import { answer, sleep, tinyServersPerTest, until } from './helpers/tiny-server.js';
import { rejection } from '../helpers/rejection.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
/** How late a timeout may come on a loaded CI machine (the design aims at a few ms: see deadlines.ts). */
const LATE_SLACK = 250;
const FIXTURE = join(import.meta.dirname, 'fixtures', 'call-and-exit.mjs');
const DIST_ENTRY = join(import.meta.dirname, '../../dist/src/index.js');

/** The client's deadline timer (private): what the tests below check. */
const deadlinesOf = (c: RpcClient): Deadlines => (c as unknown as { deadlines: Deadlines }).deadlines;

describe('client deadlines: one timer per client', () => {
  const serve = tinyServersPerTest();
  const clients: RpcClient[] = [];
  const make = (o: ConstructorParameters<typeof RpcClient>[0] = {}): RpcClient => {
    const c = new RpcClient({ timeout: 5_000, ...o });
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  /** A server that never answers `hang` and answers `after` once `args[0]` ms passed. */
  const hangOrLater = () =>
    serve(async (req, socket) => {
      if (req.name !== 'after') return;
      await sleep(Number(text(req.args[0])));
      if (!socket.destroyed) socket.write(answer('late but in time'));
    });

  it('calls with different timeouts time out in deadline order, none early', async () => {
    const s = await hangOrLater();
    const client = make();
    const timeouts = [260, 60, 180, 100, 220, 140, 60, 300];
    const t0 = performance.now();
    const ended: { i: number; at: number }[] = [];
    const calls = timeouts.map((timeout, i) =>
      rejection(client.call(s.node, 'hang', [], { timeout })).then((err) => {
        ended.push({ i, at: performance.now() - t0 });
        return err;
      }),
    );
    const errs = await Promise.all(calls);
    expect(errs.map((e) => e.code)).toEqual(timeouts.map(() => 'TIMEOUT'));
    expect(errs.map((e) => e.message.includes(`no answer within ${timeouts[errs.indexOf(e)]} ms`))).not.toContain(
      false,
    );
    for (const { i, at } of ended) {
      expect(at).toBeGreaterThanOrEqual(timeouts[i]);
      expect(at).toBeLessThan(timeouts[i] + LATE_SLACK);
    }
    // started within a few ms of each other, 40 ms apart at least: their order is the deadlines'
    const order = ended.map((e) => timeouts[e.i]);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(deadlinesOf(client).size).toBe(0);
    expect(deadlinesOf(client).holdsProcess).toBe(false);
  });

  it('a sweep that runs late (the event loop was busy) still expires in deadline order', async () => {
    const s = await hangOrLater();
    const client = make();
    // the 300 ms list is the first one the client made: list order is not deadline order
    const timeouts = [300, 100, 200];
    const ended: number[] = [];
    const calls = timeouts.map((timeout) =>
      rejection(client.call(s.node, 'hang', [], { timeout })).then((err) => {
        ended.push(timeout);
        return err;
      }),
    );
    await sleep(20);
    for (const end = performance.now() + 350; performance.now() < end; ) {
      // busy: every deadline passes before the timer can fire
    }
    expect((await Promise.all(calls)).map((e) => e.code)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
    expect(ended).toEqual([100, 200, 300]);
  });

  it('a call answered just before its deadline is not failed when an earlier deadline fires', async () => {
    const s = await hangOrLater();
    const client = make();
    // The timer fires for `early` at 100 ms; `late` (deadline 200 ms) is answered at ~150 ms.
    const early = rejection(client.call(s.node, 'hang', [], { timeout: 100 }));
    const late = client.call(s.node, 'after', ['150'], { timeout: 200 });
    expect((await early).code).toBe('TIMEOUT');
    expect(text(await late)).toBe('late but in time');
    expect(deadlinesOf(client).size).toBe(0);
  });

  it('a call answered shortly before its deadline, on the client timeout alone, resolves', async () => {
    const s = await hangOrLater();
    const client = make({ timeout: 150 });
    expect(text(await client.call(s.node, 'after', ['110']))).toBe('late but in time');
  });

  it('no timer holds the process while nothing waits: not idle, not between calls, not with keep-alive', async () => {
    const s = await hangOrLater();
    for (const keepAlive of [false, true]) {
      const client = make({ keepAlive, probation: 10 });
      expect(deadlinesOf(client).holdsProcess).toBe(false);
      const pending = client.call(s.node, 'after', ['100']);
      await sleep(30);
      expect(deadlinesOf(client).size).toBe(1);
      expect(deadlinesOf(client).holdsProcess).toBe(true);
      await pending;
      for (let i = 0; i < 20; i++) await client.call(s.node, 'after', ['0'], { timeout: 1_000 + i });
      expect(deadlinesOf(client).size).toBe(0);
      expect(deadlinesOf(client).holdsProcess).toBe(false);
    }
  });

  it('a process exits once its call is answered, whatever the timeout (per call and keep-alive)', async () => {
    if (!existsSync(DIST_ENTRY)) throw new Error('build first (npm run build): the fixture runs dist/');
    const s = await serve((_req, socket) => void socket.write(answer('answered')));
    for (const mode of ['percall', 'keepalive']) {
      const t0 = performance.now();
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [FIXTURE, s.node, mode], { timeout: 20_000 }, (err, stdout) =>
          err ? reject(err) : resolve(stdout),
        ),
      );
      expect(out.trim()).toBe('answered');
      // the call's timeout is 60 s: a timer left holding the process would keep it that long
      expect(performance.now() - t0).toBeLessThan(10_000);
    }
  });

  it('close() with calls pending: they still time out on their deadline, then the timer is gone', async () => {
    const s = await hangOrLater();
    const client = make();
    const t0 = performance.now();
    const hung = rejection(client.call(s.node, 'hang', [], { timeout: 120 }));
    const answered = client.call(s.node, 'after', ['50'], { timeout: 1_000 });
    const closed = client.close();
    expect(text(await answered)).toBe('late but in time');
    const err = await hung;
    expect(err.code).toBe('TIMEOUT');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(120);
    await closed;
    expect(deadlinesOf(client).size).toBe(0);
    expect(deadlinesOf(client).holdsProcess).toBe(false);
    expect(deadlinesOf(client).armed).toBe(false);
  });

  it('keep-alive: idle connections close on the idle timer, not before idleTimeout, and it never holds the process', async () => {
    const s = await hangOrLater();
    const idleTimeout = 150;
    const client = make({ keepAlive: true, probation: 10, idleTimeout });
    const idle = (client as unknown as { idle: Deadlines }).idle;
    await Promise.all([0, 1, 2].map(() => client.call(s.node, 'after', ['0'])));
    // before they are marked idle (that waits for the node's probation)
    const answeredAt = performance.now();
    expect(await until(() => idle.size === 3)).toBe(true);
    expect(idle.armed).toBe(true);
    expect(idle.holdsProcess).toBe(false);
    expect(await until(() => s.closed === 3)).toBe(true);
    expect(performance.now() - answeredAt).toBeGreaterThanOrEqual(idleTimeout);
    expect(idle.size).toBe(0);
  });

  it('local calls and streams wait on the same timer', async () => {
    const s = await hangOrLater();
    const registry = new Registry().register('slow', () => new Promise((r) => setTimeout(() => r('late'), 1_000)));
    const client = make({ registry });
    const local = rejection(client.call(null, 'slow', [], { timeout: 80 }));
    const stream = (async () => {
      for await (const _ of client.stream(s.node, 'hang', [], { timeout: 80 })) {
        // nothing comes
      }
    })();
    await sleep(20);
    expect(deadlinesOf(client).size).toBe(2);
    const errs = await Promise.all([local, rejection(stream)]);
    expect(errs.map((e) => e.code)).toEqual(['TIMEOUT', 'TIMEOUT']);
    expect(deadlinesOf(client).size).toBe(0);
  });
});
