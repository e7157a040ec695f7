// Request modifier2 4: JSON-RPC 2.0 over HTTP (named in uWSGI's source, never written there): batches,
// notifications, the spec's errors, binary as {"base64": ...}, bounded depth and batch size.
import type { HttpResponse } from '../http/response.js';
import type { RpcTarget } from '../http/rpc-target.js';
import { RpcError } from '../rpc-error.js';
import { answer, reason } from './answer.js';
import { fromBase64, strictText, toBase64 } from './base64.js';
import { callTyped } from './typed-call.js';
import type { FunctionSig } from '../typed/catalog.js';
import { jsonParamsToWire, jsonResult } from '../typed/json-values.js';

/** JSON-RPC 2.0 error codes (the spec's, plus -32000 for a function that failed). */
const JSONRPC_ERROR = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  FUNCTION_FAILED: -32000,
} as const;

const MESSAGES: Record<number, string> = {
  [-32700]: 'Parse error',
  [-32600]: 'Invalid Request',
  [-32601]: 'Method not found',
  [-32602]: 'Invalid params',
  [-32603]: 'Internal error',
  [-32000]: 'Server error',
};

export interface JsonRpcLimits {
  /** Deepest array/object nesting accepted in a request body. */
  maxDepth?: number;
  /** Most calls in one batch. */
  maxBatch?: number;
}

const DEFAULT_JSONRPC_MAX_DEPTH = 32;
const DEFAULT_JSONRPC_MAX_BATCH = 256;
const MAX_PARAMS = 254;
const CONTENT_TYPE = 'application/json';
const encoder = new TextEncoder();

type Id = string | number | null;
interface Reply {
  jsonrpc: '2.0';
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
  id: Id;
}

const failure = (code: number, id: Id, data?: unknown): Reply => ({
  jsonrpc: '2.0',
  error: data === undefined ? { code, message: MESSAGES[code] } : { code, message: MESSAGES[code], data },
  id,
});

/**
 * Request modifier2 4: JSON-RPC 2.0 (uWSGI names this bridge but never wrote it). POST body:
 * one request object or a batch array. Params are positional: strings (sent as UTF-8),
 * numbers and booleans (as their JSON text), or `{"base64": "..."}` for binary args. A
 * result that is UTF-8 comes back as a string, anything else as `{"base64": "..."}`.
 * Notifications (no "id") get no answer; a body of notifications only is answered
 * 204 No Content. Errors are the spec's objects; a function that fails gives -32000.
 * Typed functions take params of their types and answer typed JSON values (see typed()).
 */
export async function jsonRpcBridge(
  body: Uint8Array,
  res: HttpResponse,
  target: RpcTarget,
  log: (line: string) => void,
  limits: JsonRpcLimits = {},
): Promise<void> {
  const maxDepth = limits.maxDepth ?? DEFAULT_JSONRPC_MAX_DEPTH;
  const maxBatch = limits.maxBatch ?? DEFAULT_JSONRPC_MAX_BATCH;
  const reply = (value: unknown) => answer(res, CONTENT_TYPE, encoder.encode(JSON.stringify(value)));

  const text = strictText(body);
  if (text === null) return reply(failure(JSONRPC_ERROR.PARSE_ERROR, null, 'the body is not UTF-8'));
  if (nestingDepth(text) > maxDepth)
    return reply(failure(JSONRPC_ERROR.PARSE_ERROR, null, `nested deeper than ${maxDepth}`));
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (err) {
    return reply(failure(JSONRPC_ERROR.PARSE_ERROR, null, reason(err)));
  }

  if (Array.isArray(request)) {
    if (request.length === 0) return reply(failure(JSONRPC_ERROR.INVALID_REQUEST, null, 'empty batch'));
    if (request.length > maxBatch)
      return reply(failure(JSONRPC_ERROR.INVALID_REQUEST, null, `more than ${maxBatch} calls in a batch`));
    const replies = (await Promise.all(request.map((r) => one(r, target, log)))).filter((r): r is Reply => r !== null);
    if (replies.length === 0) return noContent(res);
    return reply(replies);
  }
  const r = await one(request, target, log);
  if (r === null) return noContent(res);
  reply(r);
}

/** Runs one request object; null for a (valid) notification. */
async function one(req: unknown, target: RpcTarget, log: (line: string) => void): Promise<Reply | null> {
  if (typeof req !== 'object' || req === null || Array.isArray(req))
    return failure(JSONRPC_ERROR.INVALID_REQUEST, null);
  const r = req as Record<string, unknown>;
  const hasId = Object.hasOwn(r, 'id');
  const id = r.id;
  if (hasId && id !== null && typeof id !== 'string' && typeof id !== 'number') {
    return failure(JSONRPC_ERROR.INVALID_REQUEST, null, 'id must be a string, a number or null');
  }
  const replyId = hasId ? (id as Id) : null;
  if (r.jsonrpc !== '2.0') return failure(JSONRPC_ERROR.INVALID_REQUEST, replyId, 'jsonrpc must be "2.0"');
  if (typeof r.method !== 'string') return failure(JSONRPC_ERROR.INVALID_REQUEST, replyId, 'method must be a string');
  const method = r.method;
  const notification = !hasId;
  const answerWith = (reply: Reply): Reply | null => (notification ? null : reply);

  const sig = target.spec?.(method);
  if (sig !== undefined) return answerWith(await typed(method, sig, r.params, target, log, replyId));

  let args: Uint8Array[];
  if (r.params === undefined) {
    args = [];
  } else if (Array.isArray(r.params)) {
    const decoded = decodeParams(r.params);
    if (typeof decoded === 'string') return answerWith(failure(JSONRPC_ERROR.INVALID_PARAMS, replyId, decoded));
    args = decoded;
  } else if (typeof r.params === 'object' && r.params !== null) {
    // An unknown method is the first thing to tell (the spec's batch example expects it).
    if (!target.names().includes(method)) return answerWith(failure(JSONRPC_ERROR.METHOD_NOT_FOUND, replyId));
    return answerWith(
      failure(
        JSONRPC_ERROR.INVALID_PARAMS,
        replyId,
        'named params are not supported: RPC functions take positional args',
      ),
    );
  } else {
    return failure(JSONRPC_ERROR.INVALID_REQUEST, replyId, 'params must be an array or an object');
  }

  let result: Uint8Array;
  try {
    result = await target.call(null, encoder.encode(method), args);
  } catch (err) {
    if (err instanceof RpcError && err.code === 'NOT_FOUND')
      return answerWith(failure(JSONRPC_ERROR.METHOD_NOT_FOUND, replyId));
    log(`JSON-RPC bridge: ${JSON.stringify(method)}: ${reason(err)}`);
    return answerWith(failure(JSONRPC_ERROR.FUNCTION_FAILED, replyId, `${method} failed`));
  }
  const s = strictText(result);
  return answerWith({ jsonrpc: '2.0', result: s !== null ? s : { base64: toBase64(result) }, id: replyId });
}

/**
 * A typed function: positional params of its types in, its typed result out as JSON;
 * params that do not fit are -32602 with `{position, reason}` in error.data.
 */
async function typed(
  method: string,
  sig: FunctionSig,
  params: unknown,
  target: RpcTarget,
  log: (line: string) => void,
  id: Id,
): Promise<Reply> {
  if (params !== undefined && !Array.isArray(params)) {
    if (typeof params === 'object' && params !== null)
      return failure(
        JSONRPC_ERROR.INVALID_PARAMS,
        id,
        'named params are not supported: RPC functions take positional args',
      );
    return failure(JSONRPC_ERROR.INVALID_REQUEST, id, 'params must be an array or an object');
  }
  const outcome = await callTyped(
    target,
    method,
    sig,
    () => jsonParamsToWire(sig.args, (params as unknown[] | undefined) ?? [], fromBase64),
    'JSON-RPC',
    log,
  );
  switch (outcome.kind) {
    case 'result':
      return { jsonrpc: '2.0', result: jsonResult(sig.result, outcome.value, toBase64), id };
    case 'invalid':
      return failure(JSONRPC_ERROR.INVALID_PARAMS, id, { position: outcome.position, reason: outcome.reason });
    case 'not-found':
      return failure(JSONRPC_ERROR.METHOD_NOT_FOUND, id);
    case 'failed':
      log(`JSON-RPC bridge: ${JSON.stringify(method)}: ${reason(outcome.error)}`);
      return failure(JSONRPC_ERROR.FUNCTION_FAILED, id, `${method} failed`);
  }
}

/** Params as bytes, or why they cannot be. */
function decodeParams(params: unknown[]): Uint8Array[] | string {
  if (params.length > MAX_PARAMS) return `at most ${MAX_PARAMS} params`;
  const out: Uint8Array[] = [];
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (typeof p === 'string') out.push(encoder.encode(p));
    else if (typeof p === 'number' || typeof p === 'boolean') out.push(encoder.encode(JSON.stringify(p)));
    else if (
      typeof p === 'object' &&
      p !== null &&
      !Array.isArray(p) &&
      Object.keys(p).length === 1 &&
      typeof (p as { base64?: unknown }).base64 === 'string'
    ) {
      const b = fromBase64((p as { base64: string }).base64);
      if (b === null) return `param ${i}: not base64`;
      out.push(b);
    } else {
      return `param ${i}: only strings, numbers, booleans and {"base64": "..."} can be passed`;
    }
  }
  return out;
}

/** Deepest [ / { nesting, outside strings (checked before JSON.parse, which has no such bound). */
function nestingDepth(s: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}

function noContent(res: HttpResponse): void {
  if (res.prepareHeaders('204 No Content')) res.writeHeaders();
}
