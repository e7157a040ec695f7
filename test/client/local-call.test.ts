// node null or '': the call runs in this process through a Registry, no socket.
import { describe, expect, it } from 'vitest';
import { RpcClient, rpc, rpcText } from '../../src/index.js';
import { RpcError } from '../../src/rpc-error.js';
import { register, Registry } from '../../src/functions/registry.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError);
    return (err as RpcError).code;
  }
  return 'resolved';
}

describe('local calls', () => {
  const registry = new Registry()
    .register('echo', (...args) => args.map((a) => a.text).join('|'))
    .register('bin', () => Uint8Array.from([0, 255]))
    .register('empty', () => '')
    .register('boom', () => {
      throw new Error('boom');
    })
    .register('slow', () => new Promise((r) => setTimeout(() => r('late'), 300)))
    .register('__proto__', () => 'proto');
  const client = new RpcClient({ registry });

  it('null and empty node call the registry, args as given', async () => {
    expect(text(await client.call(null, 'echo', ['a', '', 'b', '']))).toBe('a||b|');
    expect(await client.call('', 'bin', [])).toEqual(Uint8Array.from([0, 255]));
    expect(text(await client.call(null, '__proto__', []))).toBe('proto');
  });

  it('errors: empty result NO_ANSWER (as on the wire), NOT_FOUND, FUNCTION_FAILED, INVALID', async () => {
    expect(await code(client.call(null, 'empty', []))).toBe('NO_ANSWER');
    expect(await code(client.call(null, 'missing', []))).toBe('NOT_FOUND');
    expect(await code(client.call(null, 'boom', []))).toBe('FUNCTION_FAILED');
    expect(await code(client.call(null, 'echo', [1 as unknown as string]))).toBe('INVALID');
  });

  it('timeout and abort apply to local calls too', async () => {
    expect(await code(client.call(null, 'slow', [], { timeout: 50 }))).toBe('TIMEOUT');
    const ac = new AbortController();
    const p = client.call(null, 'slow', [], { signal: ac.signal });
    ac.abort();
    expect(await code(p)).toBe('ABORTED');
  });

  it('module-level rpc() and rpcText() use the default client and the default registry', async () => {
    register('client-test-hello', (name) => `hello ${name ?? 'world'}`);
    expect(text(await rpc(null, 'client-test-hello', 'x'))).toBe('hello x');
    expect(await rpcText('', 'client-test-hello')).toBe('hello world');
  });
});
