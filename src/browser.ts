// Universal entry (`uwsgi-rpc/codec`): the codec and framing only, no node:* anywhere in
// its import graph, so it runs unchanged in browsers, Deno, Bun and edge runtimes.
export * from './codec/index.js';
// The WebSocket gateway's client (`serve --ws-socket`): RPC calls from a page.
export * from './web/index.js';
