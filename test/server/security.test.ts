// Security settings: loopback by default, unix socket modes, a client allow-list,
// prototype names in the registry.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { serveOptions } from '../../src/cli/serve-options.js';
import { UsageError } from '../../src/cli/usage.js';
import { allowList } from '../../src/server/allow.js';
import { Registry } from '../../src/functions/registry.js';
import { RpcServer } from '../../src/server/server.js';
import { removeDir, tempDir } from '../helpers/processes.js';

let server: RpcServer;
let logs: string[];
let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => removeDir(dir));
afterEach(async () => {
  await server?.close();
});

function make(options: ConstructorParameters<typeof RpcServer>[0] = {}) {
  logs = [];
  const registry = new Registry();
  registry.register('hi', () => 'hi');
  server = new RpcServer({ registry, engine: 'ts', log: (l) => logs.push(l), ...options });
  return server;
}

describe('security', () => {
  it('a bare :port binds loopback only', async () => {
    expect(await make().listen(':0')).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('chmodSocket sets the unix socket mode', async () => {
    const path = join(dir, 'm.sock');
    await make({ chmodSocket: 0o660 }).listen(path);
    expect(statSync(path).mode & 0o777).toBe(0o660);
    expect(serveOptions(['--chmod-socket', '1']).chmodSocket).toBe(0o666);
    expect(serveOptions(['--chmod-socket', '600']).chmodSocket).toBe(0o600);
    expect(() => serveOptions(['--chmod-socket', '999'])).toThrow(UsageError);
  });

  it('allow: peers outside the networks are closed at once with one line; unix sockets always allowed', async () => {
    make({ allow: ['10.0.0.0/8'] });
    const tcp = await server.listen('127.0.0.1:0');
    const unix = await server.listen(join(dir, 'a.sock'));
    const client = new RpcClient({ engine: 'ts' });
    await expect(client.call(tcp, 'hi')).rejects.toMatchObject({ code: 'NO_ANSWER' });
    expect(Buffer.from(await client.call(unix, 'hi')).toString()).toBe('hi');
    await client.close();
    expect(logs).toEqual([
      expect.stringMatching(/^127\.0\.0\.1:\d+: not in the allow list of 127\.0\.0\.1:\d+: connection closed$/),
    ]);
    await server.close();
    make({ allow: ['127.0.0.0/8'] });
    const ok = await server.listen('127.0.0.1:0');
    const again = new RpcClient({ engine: 'ts' });
    expect(Buffer.from(await again.call(ok, 'hi')).toString()).toBe('hi');
    await again.close();
  });

  it('allow lists: CIDR, single addresses, IPv6, IPv4-mapped peers; bad specs refused', () => {
    const a = allowList(['192.168.1.0/24', '10.1.2.3', '::1', 'fd00::/8']);
    expect(['192.168.1.77', '10.1.2.3', '::1', 'fd12::5', '::ffff:192.168.1.9'].every((x) => a.allows(x))).toBe(true);
    expect(['192.168.2.1', '10.1.2.4', '::2', '127.0.0.1', undefined].some((x) => a.allows(x))).toBe(false);
    for (const bad of ['10.0.0.0/33', 'nonsense', '10.0.0.0/8/1', '::1/x'])
      expect(() => allowList([bad])).toThrow(/allow/);
    expect(serveOptions(['--allow', '10.0.0.0/8', '--allow', '::1']).allow).toEqual(['10.0.0.0/8', '::1']);
  });

  it('prototype names are plain names: never found unless registered, never inherited', async () => {
    make();
    const tcp = await server.listen('127.0.0.1:0');
    const client = new RpcClient({ engine: 'ts' });
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      await expect(client.call(tcp, name)).rejects.toMatchObject({ code: 'NO_ANSWER' });
    }
    server.register('__proto__', () => 'proto');
    expect(Buffer.from(await client.call(tcp, '__proto__')).toString()).toBe('proto');
    await client.close();
  });
});
