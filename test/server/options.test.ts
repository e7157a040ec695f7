// RpcServer's options are checked in one place (src/server/options.ts): every bad value is
// refused with RpcError INVALID naming the option, before anything listens.
import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/functions/registry.js';
import { RpcError } from '../../src/rpc-error.js';
import { RouteError } from '../../src/routing/rule.js';
import type { RpcServerOptions } from '../../src/server/options.js';
import { RpcServer } from '../../src/server/server.js';

const quiet = { registry: new Registry(), log: () => {} };

function refusal(options: RpcServerOptions): unknown {
  try {
    new RpcServer({ ...quiet, ...options });
  } catch (err) {
    return err;
  }
  return null;
}

describe('server options', () => {
  it('refuses bad values, naming the option', () => {
    const cases: [RpcServerOptions, RegExp][] = [
      [{ closeTimeout: -1 }, /closeTimeout/],
      [{ chmodSocket: 0o1000 }, /chmodSocket/],
      [{ allow: ['10.0.0.0/33'] }, /allow/],
      [{ engine: 'fast' as RpcServerOptions['engine'] }, /engine fast/],
      [{ http: { maxBody: -1 } }, /http\.maxBody/],
      [{ http: { maxBody: 1.5 } }, /http\.maxBody/],
      [{ http: { bodyTimeout: 0 } }, /http\.bodyTimeout/],
      [{ http: { bodyTimeout: Infinity } }, /http\.bodyTimeout/],
      [{ http: { bodyTimeout: Number.NaN } }, /http\.bodyTimeout/],
    ];
    for (const [options, message] of cases) {
      const err = refusal(options);
      expect(err, JSON.stringify(options)).toBeInstanceOf(RpcError);
      expect((err as RpcError).code).toBe('INVALID');
      expect((err as RpcError).message).toMatch(message);
    }
  });

  it('a route uWSGI would refuse is a RouteError at construction', () => {
    expect(refusal({ routes: [['route', '^/x nosuchaction:y']] })).toBeInstanceOf(RouteError);
  });

  it('takes good values as given', () => {
    expect(
      refusal({
        closeTimeout: 0,
        chmodSocket: 0o660,
        allow: ['127.0.0.1'],
        engine: 'ts',
        http: { maxBody: 0, bodyTimeout: 1 },
      }),
    ).toBeNull();
  });

  it('listenHttp() refuses modifiers that select no bridge, and subscribe() a negative grace', async () => {
    const server = new RpcServer(quiet);
    try {
      for (const modifiers of [
        { modifier1: 5 },
        { modifier1: 173 },
        { modifier1: 173, modifier2: 1 },
        { modifier1: 173, modifier2: 5 },
      ]) {
        await expect(server.listenHttp('127.0.0.1:0', modifiers), JSON.stringify(modifiers)).rejects.toMatchObject({
          code: 'INVALID',
        });
      }
      await expect(
        server.subscribe('127.0.0.1:1:key', { address: '127.0.0.1:2', unsubscribeGrace: -1 }),
      ).rejects.toMatchObject({ code: 'INVALID', message: expect.stringMatching(/unsubscribeGrace/) });
    } finally {
      await server.close();
    }
  });
});
