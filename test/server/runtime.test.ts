// What differs between the Node lines we support is found at run time and used where it
// helps; this suite runs on each of them (.ci/run: 20, 22, 24, 26) and says what it found.
import { describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { RpcServer } from '../../src/server/server.js';
import { Registry } from '../../src/functions/registry.js';
import { runtimeFeatures } from '../../src/server/runtime.js';
import { tempDir, removeDir } from '../helpers/processes.js';

/** Node lines whose net.Server takes reusePort (22.12+, 23.1+); Node 20 ignores the option. */
function nodeHasReusePort(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

const quiet = () => {};

describe(`runtime features (Node ${process.versions.node})`, () => {
  it(`reusePort is ${nodeHasReusePort() ? 'found' : 'not found'} on this Node line`, async () => {
    expect((await runtimeFeatures()).reusePort).toBe(nodeHasReusePort());
  });

  it.runIf(nodeHasReusePort())(
    'listen(address, { reusePort: true }): two servers share one port, and both are called',
    async () => {
      const a = new RpcServer({ registry: new Registry(), log: quiet }).register('who', () => 'a');
      const b = new RpcServer({ registry: new Registry(), log: quiet }).register('who', () => 'b');
      const client = new RpcClient();
      try {
        const address = await a.listen('127.0.0.1:0', { reusePort: true });
        expect(await b.listen(address, { reusePort: true })).toBe(address);
        const seen = new Set<string>();
        for (let i = 0; i < 200 && seen.size < 2; i++)
          seen.add(Buffer.from(await client.call(address, 'who')).toString());
        expect([...seen].sort()).toEqual(['a', 'b']);
      } finally {
        await client.close();
        await Promise.all([a.close(), b.close()]);
      }
    },
  );

  it.runIf(!nodeHasReusePort())(
    'listen(address, { reusePort: true }) is refused with a reason where the runtime cannot',
    async () => {
      const s = new RpcServer({ registry: new Registry(), log: quiet });
      try {
        await expect(s.listen('127.0.0.1:0', { reusePort: true })).rejects.toMatchObject({
          code: 'INVALID',
          message: expect.stringMatching(/cannot share a port between processes/),
        });
      } finally {
        await s.close();
      }
    },
  );

  it('reusePort is refused for a unix socket', async () => {
    const dir = tempDir();
    const s = new RpcServer({ registry: new Registry(), log: quiet });
    try {
      await expect(s.listen(`${dir}/r.sock`, { reusePort: true })).rejects.toMatchObject({
        code: 'INVALID',
        message: expect.stringMatching(/reusePort is for TCP sockets/),
      });
    } finally {
      await s.close();
      removeDir(dir);
    }
  });

  it('`await using` closes a server and a client at the end of their block', async () => {
    let server!: RpcServer;
    let address = '';
    {
      await using s = new RpcServer({ registry: new Registry(), log: quiet }).register('hi', () => 'hi');
      await using c = new RpcClient({ keepAlive: true });
      server = s;
      address = await s.listen('127.0.0.1:0');
      expect(Buffer.from(await c.call(address, 'hi')).toString()).toBe('hi');
    }
    await expect(server.listen('127.0.0.1:0')).rejects.toMatchObject({
      code: 'INVALID',
      message: 'the server is closed',
    });
    await expect(new RpcClient({ timeout: 500 }).call(address, 'hi')).rejects.toMatchObject({ code: 'REFUSED' });
  });
});
