// `uwsgi-rpc/gateway` (Node.js): the WebSocket gateway pages call RPC functions through, as
// `serve --ws-socket` runs it, for embedding next to an RpcServer. Kept off the package root
// so importing the server does not load the `ws` package.
export { RpcGateway } from './gateway.js';
export type { GatewayOptions } from './options.js';
