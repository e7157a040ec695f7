// Where a gateway call goes: a local function, or func@node on an allowed node.
import { utf8 } from '../codec/bytes.js';
import { RpcError } from '../rpc-error.js';

/** Where a call goes: this process's registry, or a node the gateway may forward to. */
export type Target = { kind: 'local'; name: Uint8Array } | { kind: 'forward'; node: string; name: Uint8Array };

const AT = 0x40;

/**
 * `func@node` (as in uWSGI's routing actions; split at the first @, so `f@@abstract` works)
 * forwards to `node` if it is allowed; a plain name
 * is local when registered, else goes to the default node (the first allowed), else NOT_FOUND.
 */
export function resolveTarget(
  name: Uint8Array,
  isLocal: (name: Uint8Array) => boolean,
  forward: readonly string[],
): Target {
  const at = name.indexOf(AT);
  if (at > 0 && at < name.length - 1) {
    const node = utf8(name.subarray(at + 1));
    if (!forward.includes(node)) throw new RpcError('INVALID', `this gateway does not forward to "${node}"`, node);
    return { kind: 'forward', node, name: name.subarray(0, at) };
  }
  if (isLocal(name) || forward.length === 0) return { kind: 'local', name };
  return { kind: 'forward', node: forward[0], name };
}
