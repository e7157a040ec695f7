// Client side of uwsgi-rpc: call functions hosted by uWSGI (any language) or our server.
export { RpcClient, dropTrailingEmpty } from './client.js';
export { rpc, rpcText, defaultClient } from './default-client.js';
export { Splitter, DEFAULT_SPLIT_CONCURRENCY, type SplitCall, type SplitOptions, type SplitResult } from './splitter.js';
export type { FanoutResult } from './fanout.js';
export { parseNode, type NodeAddress } from '../address/address.js';
export type { NodeBehaviour } from './node-pool.js';
export { wasNeverSent } from './errors.js';
export {
  DEFAULT_TIMEOUT,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_PROBATION,
  type ClientOptions,
  type CallOptions,
  type ClientConfig,
} from './options.js';
export { RpcError, type RpcErrorCode } from '../rpc-error.js';
