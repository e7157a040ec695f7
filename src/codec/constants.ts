/**
 * uwsgi protocol constants (uWSGI 2.0: core/protocol.c, core/rpc.c, plugins/rpc). The ones
 * the kernels check too come from assembly/kernel-spec.json.
 */
import { DICT_MODIFIER2, MAX_BODY, MAX_ITEMS, MAX_NAME, RPC_MODIFIER1 } from './kernel-spec.generated.js';

export { MAX_BODY, MAX_ITEMS, MAX_NAME, RPC_MODIFIER1 };

export const HEADER_SIZE = 4;
/** modifier1 of plain uwsgi requests (a vars dict: nginx uwsgi_pass, Apache). */
export const VARS_MODIFIER1 = 0;
/** At most this many args follow the function name. */
export const MAX_ARGS = MAX_ITEMS - 1;

/** Request modifier2: how the caller wants the answer. */
export const MODIFIER2 = {
  /** uwsgi packet (64-bit form above MAX_BODY). */
  UWSGI: 0,
  /** raw result bytes, then close (nginx `uwsgi_modifier2 1`). */
  RAW: 1,
  /** body is an HTTP request's vars; PATH_INFO names function and args. */
  PATH_INFO: 2,
  XMLRPC: 3,
  JSONRPC: 4,
  /** answers only: a CONTENT_LENGTH dict, then that many raw bytes. */
  DICT: DICT_MODIFIER2,
} as const;

export const CONTENT_LENGTH = 'CONTENT_LENGTH';

/** Stream decoder: most a request frame's body may hold (the u16 limit). */
export const DEFAULT_MAX_FRAME = MAX_BODY;
/** Stream decoder in response mode: most a (64-bit form) result may hold. */
export const DEFAULT_MAX_RESPONSE = 1 << 30;
