// One public surface per entry point: each subpath in package.json `exports` offers exactly its
// names (internals stay unexported), and every name README imports comes from where README says.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { default: string }>;
};

/** The source file a package subpath is built from: './dist/src/x/index.js' <- src/x/index.ts. */
function sourceOf(subpath: string): string {
  const target = pkg.exports[subpath];
  const built = typeof target === 'string' ? target : target.default;
  return join(root, built.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
}

const load = async (subpath: string): Promise<Record<string, unknown>> => import(sourceOf(subpath));

/** The values each entry offers (types are not visible at run time). */
const SURFACES: Record<string, string[]> = {
  '.': [
    'Registry',
    'defaultRegistry',
    'register',
    'sized',
    'TextBytes',
    'RpcServer',
    'Subscriber',
    'RpcClient',
    'rpc',
    'rpcText',
    'Splitter',
    'defineFunctions',
    't',
    'InvalidArgs',
    'RpcError',
    'RouteError',
  ],
  './codec': [
    'createCodec',
    'createCodecSync',
    'Codec',
    'FrameDecoder',
    'CodecError',
    'utf8',
    'toBytes',
    'KEEP_OPEN_MARK_SIZE',
    'hasKeepOpenMark',
    'withKeepOpenMark',
    'HEADER_SIZE',
    'RPC_MODIFIER1',
    'VARS_MODIFIER1',
    'MAX_BODY',
    'MAX_NAME',
    'MAX_ARGS',
    'MAX_ITEMS',
    'MODIFIER2',
    'CONTENT_LENGTH',
    'DEFAULT_MAX_FRAME',
    'DEFAULT_MAX_RESPONSE',
  ],
  './web': ['RpcWebSocketClient', 'RpcError'],
  './subscription': [
    'SUBSCRIPTION_MODIFIER1',
    'SUBSCRIBE',
    'UNSUBSCRIBE',
    'MAX_SUBSCRIPTION_PACKET',
    'MAX_ADDRESS',
    'encodeSubscription',
    'decodeSubscription',
    'parseSubscribeTo',
    'parseSubscribe2',
    'parseKeyFile',
    'RpcError',
  ],
  './router': ['Router', 'parseRule', 'ROUTE_OPTIONS', 'RouteError'],
  './gateway': ['RpcGateway'],
  './typed': [
    'defineFunctions',
    't',
    'TypeMismatch',
    'fromWire',
    'toWire',
    'argsFromWire',
    'argsToWire',
    'openRpcDocument',
    'DISCOVER',
  ],
};

describe('entry points', () => {
  it('package.json exports every entry, each with its types, and nothing else', () => {
    const subpaths = Object.keys(pkg.exports).filter((s) => s !== './package.json');
    expect(subpaths.sort()).toEqual(Object.keys(SURFACES).sort());
    for (const s of subpaths) {
      const target = pkg.exports[s];
      expect(typeof target === 'object' && 'types' in target ? target.types : null, s).toBe(
        (target as { default: string }).default.replace(/\.js$/, '.d.ts'),
      );
    }
  });

  for (const [subpath, names] of Object.entries(SURFACES)) {
    it(`${subpath === '.' ? 'uwsgi-rpc' : `uwsgi-rpc${subpath.slice(1)}`} offers exactly its public names`, async () => {
      expect(Object.keys(await load(subpath)).sort()).toEqual([...names].sort());
    });
  }

  it('the same RpcError class comes from every entry that offers it', async () => {
    const classes = await Promise.all(['.', './web', './subscription'].map(async (s) => (await load(s)).RpcError));
    expect(new Set(classes).size).toBe(1);
  });

  it('every name README imports is exported where README imports it from', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const lines = [...readme.matchAll(/import\s*\{([^}]*)\}\s*from\s*'uwsgi-rpc(\/[a-z]+)?'/g)];
    expect(lines.length).toBeGreaterThan(3);
    for (const [line, names, sub] of lines) {
      const subpath = sub === undefined ? '.' : `.${sub}`;
      expect(Object.keys(pkg.exports), line).toContain(subpath);
      const entry = await load(subpath);
      for (const name of names
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '' && !n.startsWith('type '))) {
        expect(entry[name], `${name} in ${line}`).toBeDefined();
      }
    }
  });
});
