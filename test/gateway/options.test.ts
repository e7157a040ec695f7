// RpcGateway's options are checked in one place (src/gateway/options.ts): a bad value is an
// RpcError INVALID naming it, before anything listens.
import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/functions/registry.js';
import { RpcGateway } from '../../src/gateway/index.js';
import type { GatewayOptions } from '../../src/gateway/options.js';
import { RpcError } from '../../src/rpc-error.js';

describe('gateway options', () => {
  it('refuses bad values, naming the option', async () => {
    const registry = new Registry();
    const cases: [Partial<GatewayOptions>, RegExp][] = [
      [{ maxMessage: 0 }, /maxMessage/],
      [{ maxInFlight: 1.5 }, /maxInFlight/],
      [{ maxConnections: -1 }, /maxConnections/],
      [{ closeHandshakeTimeout: -1 }, /closeHandshakeTimeout/],
      [{ closeHandshakeTimeout: Infinity }, /closeHandshakeTimeout/],
      [{ registry: undefined }, /registry/],
    ];
    for (const [bad, message] of cases) {
      let err: unknown = null;
      try {
        await new RpcGateway({ registry, demo: false, ...bad } as GatewayOptions).close();
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(bad)).toBeInstanceOf(RpcError);
      expect((err as RpcError).code).toBe('INVALID');
      expect((err as RpcError).message).toMatch(message);
    }
  });

  it('takes good values as given', async () => {
    const g = new RpcGateway({
      registry: new Registry(),
      demo: false,
      maxMessage: 100,
      maxInFlight: 1,
      maxConnections: 1,
      closeHandshakeTimeout: 0,
    });
    await g.close();
  });
});
