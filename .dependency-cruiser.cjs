// The layers of src/ (README, Layout), checked by `npm test` (npm run check:deps): a file may
// import only from its own folder or from lower layers, nothing imports an entry point but
// another entry point, no import cycle (type-only imports count), and node:* only where Node
// is the point. A new folder must be given a layer here.

/** Lowest first; the parts of one layer may not import each other either. */
const LAYERS = [
  ['codec/', 'rpc-error.ts'], // bytes, constants, the two kernels, the codec, the frame decoder
  ['address/', 'typed/'], // one reader of uWSGI-style socket addresses; typed functions' specs, conversions, OpenRPC
  ['functions/', 'subscription/', 'web/'], // registry and results; subscription datagrams; the page client
  ['http/'], // HTTP requests as uWSGI sees them
  ['routing/', 'bridges/'], // route rules and actions; the PATH_INFO, XML-RPC, JSON-RPC bridges
  ['dispatch/'], // routes, then the bridge
  ['client/'], // RpcClient over node sockets
  ['server/'], // RpcServer, connections, the HTTP front
  ['gateway/', 'observe/'], // the WebSocket gateway; the stats and metrics servers
  ['cli/'], // the command line
];

/** Entry points: package.json exports and the browser bundle. Only entries may import them. */
const ENTRIES = [
  'index.ts',
  'browser.ts',
  'codec/index.ts',
  'web/index.ts',
  'subscription/index.ts',
  'routing/index.ts',
  'gateway/index.ts',
  'typed/index.ts',
];

/** Where node:* may be imported: the Node-only folders, the subscription sender. */
const NODE_PARTS = ['client/', 'server/', 'gateway/', 'observe/', 'cli/', 'subscription/subscriber.ts'];

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A regex matching the files of one part (a folder ends in '/', a file does not). */
const part = (p) => `^src/${escapeRegExp(p)}${p.endsWith('/') ? '' : '$'}`;
const any = (parts) => parts.map(part).join('|');

const layerRules = LAYERS.flatMap((layer, level) =>
  layer.map((p) => ({
    name: `layer-${p.replace(/[/.]/g, '')}`,
    comment: `src/${p} (layer ${level}) may import only itself and layers below ${level}`,
    severity: 'error',
    from: { path: part(p) },
    to: {
      path: any(
        LAYERS.slice(level)
          .flat()
          .filter((q) => q !== p),
      ),
    },
  })),
).filter((rule) => rule.to.path !== '');

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycle between files, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'entries-only-from-entries',
      comment: 'an entry point is a public surface: src files import the file that defines a name',
      severity: 'error',
      from: { path: '^src/', pathNot: any(ENTRIES) },
      to: { path: any(ENTRIES) },
    },
    {
      name: 'node-only-in-node-parts',
      comment: `node:* only in ${NODE_PARTS.join(', ')}: everything else runs in any runtime`,
      severity: 'error',
      from: { path: '^src/', pathNot: any(NODE_PARTS) },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'unlayered',
      comment: 'every src file belongs to a layer or is an entry point (add a new folder to LAYERS)',
      severity: 'error',
      from: { path: '^src/', pathNot: any([...LAYERS.flat(), ...ENTRIES]) },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.generated\\.ts$' },
  },
};
