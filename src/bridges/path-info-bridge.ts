// Request modifier2 2: PATH_INFO `/func/arg/...` calls a function, answered exactly as uWSGI's rpc plugin does.
import { binaryToBytes, binaryToText } from '../http/binary.js';
import { badRequest, internalError, notFound } from '../http/error-pages.js';
import type { HttpResponse } from '../http/response.js';
import type { RequestVars } from '../http/request-vars.js';
import type { RpcTarget } from '../http/rpc-target.js';
import { reason } from './answer.js';
import { callTyped } from './typed-call.js';
import type { FunctionSig } from '../typed/catalog.js';
import { toWire } from '../typed/wire.js';

/** uWSGI's argv has room for the function and 254 args. */
const MAX_ARGS = 254;

/**
 * Request modifier2 2, exactly as uWSGI's rpc plugin: PATH_INFO `/func/arg1/arg2` names a
 * local function and its args (split on `/`, empty segments dropped; uWSGI reads it as a C
 * string, so it ends at a NUL byte). The answer is 200 with Content-Length and the result,
 * typed by the request's Accept header unless that is missing, `*` or `*\/*` (then
 * application/binary). An empty PATH_INFO (or only slashes) is a 500; an unknown function,
 * a failure or an empty result a 404.
 */
export async function pathInfoBridge(
  vars: RequestVars,
  res: HttpResponse,
  target: RpcTarget,
  log: (line: string) => void,
): Promise<void> {
  let path = vars.pathInfo ?? '';
  if (path.length === 0) return internalError(res);
  const nul = path.indexOf('\0');
  if (nul >= 0) path = path.slice(0, nul);
  const parts = path.split('/').filter((p) => p.length > 0);
  if (parts.length === 0) return internalError(res);
  const [func, ...rest] = parts;
  if (rest.length > MAX_ARGS) rest.length = MAX_ARGS;
  const name = binaryToText(func);
  const sig = target.spec?.(name);
  if (sig !== undefined) return typedPathCall(res, vars, target, name, sig, rest.map(binaryToBytes), log);
  let result: Uint8Array;
  try {
    result = await target.call(null, binaryToBytes(func), rest.map(binaryToBytes));
  } catch (err) {
    log(`PATH_INFO bridge: ${JSON.stringify(binaryToText(func))}: ${reason(err)}`);
    return notFound(res);
  }
  if (result.length === 0) return notFound(res);
  writeResult(res, vars, result);
}

function writeResult(res: HttpResponse, vars: RequestVars, result: Uint8Array): void {
  const accept = vars.get('HTTP_ACCEPT');
  const type = accept === undefined || accept === '*/*' || accept === '*' ? 'application/binary' : accept;
  if (!res.prepareHeaders('200 OK') || !res.addContentLength(result.length) || !res.addContentType(type)) return;
  res.writeBody(result);
}

/**
 * A typed function: the path segments are its wire args, as from any uWSGI caller; args
 * that do not fit answer 400 with the reason (uWSGI has no such case: a chosen difference,
 * so a browser or curl user sees why), anything else as for untyped functions.
 */
async function typedPathCall(
  res: HttpResponse,
  vars: RequestVars,
  target: RpcTarget,
  name: string,
  sig: FunctionSig,
  args: Uint8Array[],
  log: (line: string) => void,
): Promise<void> {
  const outcome = await callTyped(target, name, sig, () => args, 'PATH_INFO', log);
  if (outcome.kind === 'invalid') return badRequest(res, `arg ${outcome.position}: ${outcome.reason}`);
  if (outcome.kind !== 'result') {
    if (outcome.kind === 'failed') log(`PATH_INFO bridge: ${JSON.stringify(name)}: ${reason(outcome.error)}`);
    return notFound(res);
  }
  const result = await toWire(sig.result, outcome.value, 'result');
  if (result.length === 0) return notFound(res);
  writeResult(res, vars, result);
}
