// `serve --import` of a module whose default export registers a typed catalog: the CLI from dist/, as users run it,
// with the --import modules of `npm start` (its fixed ports are not used here: other suites may hold them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { freePort } from '../helpers/processes.js';
import { buildOnce, type Ours, serveOurs } from '../http/our-cli.js';

const start = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start;
const imports = [...start.matchAll(/--import (\S+)/g)].flatMap((m) => ['--import', m[1]]);

describe('serve --import examples/typed-functions.mjs (as npm start does)', () => {
  let ours: Ours | undefined;
  let node = '';
  const client = new RpcClient();
  const text = (name: string, ...args: string[]) =>
    client.call(node, name, args).then((b) => new TextDecoder().decode(b));

  beforeAll(async () => {
    buildOnce();
    node = `127.0.0.1:${await freePort()}`;
    expect(imports).toEqual(['--import', 'examples/functions.mjs', '--import', 'examples/typed-functions.mjs']);
    ours = await serveOurs(['--socket', node, ...imports], 1);
  }, 60_000);
  afterAll(async () => {
    await client.close();
    expect(await ours?.stop()).toBe(0);
  });

  it('the default export registered the catalog: typed answers, and a bad arg logged with the function and position', async () => {
    expect(await text('add', '2', '3')).toBe('5');
    expect(await text('greet', 'Ann', '2')).toBe('Hello Ann! Hello Ann!');
    expect(JSON.parse(await text('stats', '[1,2,6]'))).toEqual({ count: 3, mean: 3 });
    expect(await text('isEven', '9223372036854775806')).toBe('1');
    // the untyped examples beside them, and rpc.discover listing both
    expect(await text('echo', 'a', 'b')).toBe('a|b');
    const doc = JSON.parse(await text('rpc.discover')) as { methods: { name: string; 'x-uwsgi-untyped'?: true }[] };
    expect(doc.methods.find((m) => m.name === 'add')?.['x-uwsgi-untyped']).toBeUndefined();
    expect(doc.methods.find((m) => m.name === 'echo')?.['x-uwsgi-untyped']).toBe(true);
    await expect(client.call(node, 'add', ['2', 'x'])).rejects.toMatchObject({ code: 'NO_ANSWER' });
    for (let i = 0; i < 100 && !ours!.stderr().includes('"add" not run'); i++)
      await new Promise((r) => setTimeout(r, 20));
    const lines = ours!
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"add"'));
    expect(lines).toEqual([
      expect.stringMatching(/function "add" not run: invalid arg 1: "x" is not a decimal integer/),
    ]);
  });
});
