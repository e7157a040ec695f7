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
 * function failed. `system.listMethods` lists the registered functions. An empty body is
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
    call = readMethodCall(parseXml(body, limits));
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
  if (call.method === 'system.listMethods' && !names.includes(call.method)) {
    return answer(res, CONTENT_TYPE, methodResponse(stringArray([...names, 'system.listMethods'].sort())));
  }
  if (call.params.length > MAX_PARAMS) return fault(INVALID_PARAMS, `at most ${MAX_PARAMS} params`);
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
