// `uwsgi-rpc stubs NODE --lang py|ts` end to end: the Python module runs inside a real uWSGI and calls our typed
// functions; the TypeScript module type-checks (tsc) with a caller, and its catalog binds and calls.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RpcClient } from '../../src/client/client.js';
import { Registry } from '../../src/functions/registry.js';
import { RpcServer } from '../../src/server/server.js';
import { type Catalog, defineFunctions } from '../../src/typed/catalog.js';
import { t } from '../../src/typed/types.js';
import { requirePeer, which } from '../helpers/peers.js';
import { type Peer, freePort, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';
import { buildOnce } from '../http/our-cli.js';

const hasUwsgi = requirePeer('uwsgi', which('uwsgi') !== null, 'apt-get install uwsgi-core uwsgi-plugin-python3');
const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'uwsgi-rpc.js');
// (async: this process serves the node the CLI reads)
const run = promisify(execFile);

const math = defineFunctions({
  add: { args: [t.int(), t.int()], result: t.int(), doc: 'Adds two integers', run: (a, b) => a + b },
  greet: {
    args: [t.string(), t.optional(t.int())],
    result: t.string(),
    run: (name, times = 1) => Array.from({ length: times }, () => `Hello ${name}!`).join(' '),
  },
  stats: {
    args: [t.json(z.array(z.number()).min(1))],
    result: t.json(),
    run: (v) => ({ count: v.length, mean: v.reduce((s, x) => s + x, 0) / v.length }),
  },
  isEven: { args: [t.bigint()], result: t.bool(), run: (n) => n % 2n === 0n },
  scale: { args: [t.number(), t.number()], result: t.number(), run: (x, f) => x * f },
  shout: {
    args: [t.string(), t.enum(['upper', 'lower'])],
    result: t.string(),
    run: (s, how) => (how === 'upper' ? s.toUpperCase() : s.toLowerCase()),
  },
  checksum: { args: [t.bytes()], result: t.int(), run: (b) => b.reduce((s, x) => s + x, 0) },
});

describe('uwsgi-rpc stubs', () => {
  let server: RpcServer;
  let node: string;
  const logs: string[] = [];
  let dir: string;
  let uwsgi: Peer | undefined;
  // the TS module must resolve 'uwsgi-rpc/typed' as a user's would: inside the package
  let inRepo: string;

  beforeAll(async () => {
    buildOnce();
    dir = tempDir();
    inRepo = mkdtempSync(join(__dirname, '.stubs-'));
    server = new RpcServer({
      registry: new Registry().register('untyped', () => 'x').register(math),
      log: (l) => logs.push(l),
    });
    node = await server.listen('127.0.0.1:0');
  }, 60_000);
  afterAll(async () => {
    await uwsgi?.stop();
    await server?.close();
    removeDir(dir);
    removeDir(inRepo);
  });

  it.runIf(hasUwsgi)(
    '--lang py: the module, imported by an app under the real uWSGI, calls the typed functions',
    async () => {
      await run(process.execPath, [BIN, 'stubs', node, '--lang', 'py', '--out', join(dir, 'math_rpc.py')]);
      const http = `127.0.0.1:${await freePort()}`;
      uwsgi = await startUwsgi(
        'python3,rpc',
        [
          '--http-socket',
          http,
          '--processes',
          '1',
          '--pythonpath',
          dir,
          '--wsgi-file',
          join(__dirname, 'fixtures', 'stub_caller.py'),
        ],
        [http],
        dir,
      );
      const res = await fetch(`http://${http}/`);
      const out = await res.json().catch(() => uwsgi!.logText());
      expect(out).toEqual({
        add: 5,
        greet: 'Hello Ann!',
        greet2: 'Hello Ann! Hello Ann!',
        stats: { count: 3, mean: 3 },
        isEven: true,
        scale: 3,
        shout: 'HI',
        checksum: 258,
        refused: `RpcNoAnswer: ${node}: stats gave no answer (the node logs why)`,
        typeerror: "arg 0: '2' is not an int",
      });
      expect(logs.filter((l) => l.includes('"stats" not run'))).toHaveLength(1);
    },
  );

  it('--lang ts: the module type-checks with a caller, and its catalog binds and calls', async () => {
    await run(process.execPath, [BIN, 'stubs', node, '--lang', 'ts', '--out', join(inRepo, 'math.ts')]);
    writeFileSync(
      join(inRepo, 'use.ts'),
      `import { RpcClient } from 'uwsgi-rpc';
import { NODE, catalog } from './math.js';
export async function use(): Promise<[number, string, boolean]> {
  const api = new RpcClient().bind(NODE, catalog);
  const sum: number = await api.add(2, 3);
  // @ts-expect-error add takes numbers
  await api.add('2', 3);
  return [sum, await api.shout('a', 'upper'), await api.isEven(4n)];
}
`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = [
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--skipLibCheck',
    ];
    await run(process.execPath, [tsc, ...flags, join(inRepo, 'math.ts'), join(inRepo, 'use.ts')]);
    // and a mistake in the caller is caught
    writeFileSync(
      join(inRepo, 'bad.ts'),
      `import { catalog } from './math.js';\nconst n: string = catalog.add.result['~value']!;\nvoid n;\n`,
    );
    const bad = await run(process.execPath, [tsc, ...flags, join(inRepo, 'bad.ts')]).then(
      () => 'passed',
      (e: { stdout: string }) => e.stdout,
    );
    expect(bad).toMatch(/error TS2322: Type 'number' is not assignable to type 'string'/);

    const { NODE, catalog } = (await import(join(inRepo, 'math.ts'))) as { NODE: string; catalog: Catalog };
    expect(NODE).toBe(node);
    expect(Object.keys(catalog).sort()).toEqual(Object.keys(math).sort());
    const client = new RpcClient();
    try {
      const api = client.bind(NODE, catalog) as Record<string, (...a: unknown[]) => Promise<unknown>>;
      expect(await api.add(2, 3)).toBe(5);
      expect(await api.greet('Bo', 2)).toBe('Hello Bo! Hello Bo!');
      expect(await api.isEven(7n)).toBe(false);
      await expect(api.add('2', 3)).rejects.toMatchObject({ code: 'INVALID_ARGS', position: 0 });
    } finally {
      await client.close();
    }
  });

  it('a node without rpc.discover: exit 1 with the reason; a bad --lang: exit 2', async () => {
    const bare = new RpcServer({ registry: new Registry().register('x', () => 'y'), log: () => {} });
    const at = await bare.listen('127.0.0.1:0');
    try {
      const e = await run(process.execPath, [BIN, 'stubs', at, '--lang', 'py']).then(
        () => null,
        (err: { code: number; stderr: string }) => err,
      );
      expect(e?.code).toBe(1);
      expect(e?.stderr).toMatch(/no answer to rpc\.discover \(a node registers it with its first typed catalog\)/);
      const u = await run(process.execPath, [BIN, 'stubs', at, '--lang', 'go']).then(
        () => null,
        (err: { code: number; stderr: string }) => err,
      );
      expect(u?.code).toBe(2);
      expect(u?.stderr).toMatch(/stubs needs --lang py or --lang ts/);
    } finally {
      await bare.close();
    }
  });
});
