// The Node server side: RpcServer and the function registry.
export { RpcServer, type RpcServerOptions, type HttpListenOptions, type SubscribeOptions, DEFAULT_CLOSE_TIMEOUT } from './server.js';
export { Subscriber, type SubscriberOptions, DEFAULT_SUBSCRIBE_FREQ, DEFAULT_UNSUBSCRIBE_GRACE } from '../subscription/subscriber.js';
export * from '../subscription/index.js';
export { type HttpOptions, DEFAULT_BODY_TIMEOUT } from './http-service.js';
export { Registry, defaultRegistry, register, type RpcFunction, type RpcResult } from '../functions/registry.js';
export { parseAddress, formatAddress, type SocketAddress } from '../address/address.js';
export { type LogLine } from './log.js';
export { type ServerLimits, DEFAULT_LIMITS } from './limits.js';
export { sized, isSized, type SizedStream } from '../functions/sized.js';
export { TextBytes } from '../functions/text-bytes.js';
