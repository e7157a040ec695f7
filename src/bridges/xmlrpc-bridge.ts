// Request modifier2 3: XML-RPC over HTTP — methodCall in, methodResponse or a <fault> out (Debian's uWSGI
// answers 500 to every call; this one works).
import { internalError } from '../http/error-pages.js';
import type { HttpResponse } from '../http/response.js';
import type { RpcTarget } from '../http/rpc-target.js';
import { RpcError } from '../rpc-error.js';
import { answer, reason } from './answer.js';
import { type XmlLimits, XmlError, parseXml } from './xml-parser.js';
import { INVALID_PARAMS, type XmlRpcCall, XmlRpcInvalid, readMethodCall } from './xmlrpc-request.js';
import { faultResponse, methodResponse, resultValue, stringArray } from './xmlrpc-response.js';
import { type TypedOutcome, callTyped } from './typed-call.js';
import { signatures, typedParams, typedValue } from './xmlrpc-typed.js';
import type { XmlElement } from './xml-parser.js';
import type { FunctionSig } from '../typed/catalog.js';

/** The introspection methods offered once typed functions are registered. */
const INTROSPECTION = ['system.listMethods', 'system.methodSignature', 'system.methodHelp'];

/** Fault codes of the XML-RPC "specification for fault code interoperability". */
const XMLRPC_FAULT = {
  NOT_WELL_FORMED: -32700,
  UNSUPPORTED_ENCODING: -32701,
  INVALID_XMLRPC: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  APPLICATION_ERROR: -32500,
} as const;

const MAX_PARAMS = 254;
const encoder = new TextEncoder();
const CONTENT_TYPE = 'text/xml';

/**
 * Request modifier2 3: an XML-RPC endpoint (POST body = methodCall). Every call gets a
 * 200 `methodResponse` with one value (see resultValue) or a `<fault>` with the
 * interoperability codes: -32700 not well formed (or a DOCTYPE, refused), -32701 not
 * UTF-8, -32600 not a methodCall, -32601 unknown method, -32602 bad params, -32500 the
 * function failed. `system.listMethods` lists the registered functions; with typed functions
 * registered, system.methodSignature and system.methodHelp answer too, and typed functions
 * take and answer typed values (xmlrpc-typed.ts). An empty body is
 * a 500, as in uWSGI (whose Debian build answers 500 to every call).
 */
export async function xmlRpcBridge(
  body: Uint8Array,
  res: HttpResponse,
  target: RpcTarget,
  log: (line: string) => void,
  limits: XmlLimits = {},
): Promise<void> {
  if (body.length === 0) return internalError(res);
  const fault = (code: number, message: string) => answer(res, CONTENT_TYPE, faultResponse(code, message));
  let call: XmlRpcCall;
  try {
    call = readMethodCall(parseXml(body, limits), (method) => target.spec?.(method) !== undefined);
  } catch (err) {
    if (err instanceof XmlRpcInvalid) return fault(err.faultCode, err.message);
    if (err instanceof XmlError) {
      return fault(
        err.code === 'ENCODING' ? XMLRPC_FAULT.UNSUPPORTED_ENCODING : XMLRPC_FAULT.NOT_WELL_FORMED,
        err.message,
      );
    }
    throw err;
  }
  const names = target.names();
  // introspection beyond listMethods comes with typed functions (untyped ones answer as before)
  const builtins = target.typed?.() ? INTROSPECTION : ['system.listMethods'];
  if (builtins.includes(call.method) && !names.includes(call.method)) {
    if (call.method === 'system.listMethods')
      return answer(res, CONTENT_TYPE, methodResponse(stringArray([...names, ...builtins].sort())));
    return introspect(call, target, names, res);
  }
  if (call.params.length > MAX_PARAMS || (call.values?.length ?? 0) > MAX_PARAMS)
    return fault(INVALID_PARAMS, `at most ${MAX_PARAMS} params`);
  const sig = call.values === null ? undefined : target.spec?.(call.method);
  if (sig !== undefined) return typedCall(call.method, sig, call.values!, target, res, log);
  let result: Uint8Array;
  try {
    result = await target.call(null, encoder.encode(call.method), call.params);
  } catch (err) {
    if (err instanceof RpcError && err.code === 'NOT_FOUND')
      return fault(XMLRPC_FAULT.METHOD_NOT_FOUND, `method ${call.method} not found`);
    log(`XML-RPC bridge: ${JSON.stringify(call.method)}: ${reason(err)}`);
    return fault(XMLRPC_FAULT.APPLICATION_ERROR, `${call.method} failed`);
  }
  answer(res, CONTENT_TYPE, methodResponse(resultValue(result)));
}

/**
 * system.methodSignature (XML-RPC type names; the string "undef" for an untyped function, as
 * the introspection convention says) and system.methodHelp (the doc, or an empty string).
 */
function introspect(call: XmlRpcCall, target: RpcTarget, names: string[], res: HttpResponse): void {
  const fault = (code: number, message: string) => answer(res, CONTENT_TYPE, faultResponse(code, message));
  if (call.params.length !== 1) return fault(INVALID_PARAMS, `${call.method} takes one param: a method name`);
  const name = new TextDecoder().decode(call.params[0]);
  if (!names.includes(name)) return fault(XMLRPC_FAULT.METHOD_NOT_FOUND, `method ${name} not found`);
  const sig = target.spec?.(name);
  const value =
    call.method === 'system.methodSignature'
      ? sig === undefined
        ? '<value><string>undef</string></value>'
        : signatures(sig)
      : resultValue(new TextEncoder().encode(sig?.doc ?? ''));
  answer(res, CONTENT_TYPE, methodResponse(value));
}

/** A typed function: params read by its types, its result as a typed value; params that do not fit: -32602. */
async function typedCall(
  method: string,
  sig: FunctionSig,
  values: XmlElement[],
  target: RpcTarget,
  res: HttpResponse,
  log: (line: string) => void,
): Promise<void> {
  const fault = (code: number, message: string) => answer(res, CONTENT_TYPE, faultResponse(code, message));
  let outcome: TypedOutcome;
  try {
    outcome = await callTyped(target, method, sig, () => typedParams(sig, values), 'XML-RPC', log);
  } catch (err) {
    if (err instanceof XmlRpcInvalid) return fault(err.faultCode, err.message);
    throw err;
  }
  switch (outcome.kind) {
    case 'result':
      return answer(res, CONTENT_TYPE, methodResponse(typedValue(sig.result, outcome.value)));
    case 'invalid':
      return fault(XMLRPC_FAULT.INVALID_PARAMS, `${method}: arg ${outcome.position}: ${outcome.reason}`);
    case 'not-found':
      return fault(XMLRPC_FAULT.METHOD_NOT_FOUND, `method ${method} not found`);
    case 'failed':
      log(`XML-RPC bridge: ${JSON.stringify(method)}: ${reason(outcome.error)}`);
      return fault(XMLRPC_FAULT.APPLICATION_ERROR, `${method} failed`);
  }
}
