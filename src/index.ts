// The package root, `uwsgi-rpc` (Node.js): the server, the client, the function registry and
// the errors. The codec is `uwsgi-rpc/codec`; the browser client `uwsgi-rpc/web`; the others
// (subscription, router, gateway) have subpaths of their own.

// Functions: registered once, served by the server and called locally by the client.
export { Registry, defaultRegistry, register, type RpcFunction, type RpcResult } from './functions/registry.js';
export { sized, type SizedStream } from './functions/sized.js';
export { TextBytes } from './functions/text-bytes.js';
// Typed functions (also at `uwsgi-rpc/typed`, for any runtime)
export { defineFunctions, type Catalog, type FunctionDef, type FunctionSig } from './typed/catalog.js';
export { t, type Type, type Optional, type ArgType, type ArgsOf, type ValueOf, type Json } from './typed/types.js';
export type { StandardSchemaV1 } from './typed/standard-schema.js';
export { InvalidArgs } from './functions/typed-function.js';

// Server
export { RpcServer } from './server/server.js';
export type {
  RpcServerOptions,
  CloseAfterAnswer,
  ServerLimits,
  HttpOptions,
  HttpListenOptions,
  ListenOptions,
  ServerTlsOptions,
  SubscribeOptions,
} from './server/options.js';
export type { LogLine, LogFields } from './server/log.js';
export type { ServerSnapshot, ListenerSnapshot } from './server/snapshot.js';
export type { FunctionCounts, FailureReason } from './functions/function-stats.js';
export { Subscriber, type SubscriberOptions } from './subscription/subscriber.js';
export type { SubscribeTarget } from './subscription/spec.js';

// Client
export { RpcClient } from './client/client.js';
export { rpc, rpcText } from './client/default-client.js';
export { Splitter, type SplitCall, type SplitOptions, type SplitResult } from './client/splitter.js';
export type { FanoutResult } from './client/fanout.js';
export type { Caller } from './client/caller.js';
export type { Bound } from './client/bind.js';
export type { ClientOptions, ClientTlsOptions, CallOptions, ClientConfig, Pem } from './client/options.js';

// Errors, and the types their APIs take
export { RpcError, type RpcErrorCode } from './rpc-error.js';
export { RouteError } from './routing/rule.js';
export type { Bytes, Input } from './codec/bytes.js';
export type { EngineChoice } from './codec/create.js';
