// `uwsgi-rpc/typed` (any runtime): defineFunctions and t, so a catalog module can be shared by a Node server and
// code in other runtimes; the wire conversions and OpenRPC documents for typed callers built elsewhere.
export { defineFunctions, type Catalog, type FunctionDef, type FunctionSig } from './catalog.js';
export { t, type Type, type Optional, type ArgType, type ArgsOf, type ValueOf, type Json, type Kind } from './types.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export { TypeMismatch } from './invalid.js';
export { fromWire, toWire, argsFromWire, argsToWire } from './wire.js';
export { openRpcDocument, DISCOVER } from './openrpc.js';
