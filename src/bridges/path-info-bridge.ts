// Request modifier2 2: PATH_INFO `/func/arg/...` calls a function, answered exactly as uWSGI's rpc plugin does.
import { binaryToBytes, binaryToText } from '../http/binary.js';
import { internalError, notFound } from '../http/error-pages.js';
import type { HttpResponse } from '../http/response.js';
import type { RequestVars } from '../http/request-vars.js';
import type { RpcTarget } from '../http/rpc-target.js';
import { reason } from './answer.js';

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
  let result: Uint8Array;
  try {
    result = await target.call(null, binaryToBytes(func), rest.map(binaryToBytes));
  } catch (err) {
    log(`PATH_INFO bridge: ${JSON.stringify(binaryToText(func))}: ${reason(err)}`);
    return notFound(res);
  }
  if (result.length === 0) return notFound(res);
  const accept = vars.get('HTTP_ACCEPT');
  const type = accept === undefined || accept === '*/*' || accept === '*' ? 'application/binary' : accept;
  if (!res.prepareHeaders('200 OK') || !res.addContentLength(result.length) || !res.addContentType(type)) return;
  res.writeBody(result);
}
