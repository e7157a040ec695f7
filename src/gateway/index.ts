// The WebSocket gateway (Node side): browsers call RPC functions over one WebSocket.
export { RpcGateway } from './gateway.js';
export { type GatewayOptions, MAX_MESSAGE, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_CONNECTIONS, DEFAULT_CLOSE_HANDSHAKE_TIMEOUT } from './options.js';
export { errorFrame, parseErrorFrame, type ErrorFrame } from '../web/error-frame.js';
