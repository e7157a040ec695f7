// The single-file browser bundle's entry (dist/browser/uwsgi-rpc-codec.js, served by the gateway
// at /uwsgi-rpc.js): what a page needs, the codec and the WebSocket client, in one module.
export * from './codec/index.js';
export * from './web/index.js';
