// What the rpc actions share: reading `func[@node] args...` and making the call through the RpcTarget.
import { binaryToBytes, binaryToText } from '../../http/binary.js';
import { type RouteContext, RouteError } from '../rule.js';
import { type Captures, translate } from '../translate.js';

/** The most args uWSGI's rpc actions take (its argv has 255 slots). */
const MAX_ARGS = 255;
/** An arg travels with a u16 length. */
const MAX_ARG = 0xffff;

/** `func[@node] arg...` of an rpc action, args still to be translated per request. */
export interface RpcSpec {
  readonly name: Uint8Array;
  /** For log lines. */
  readonly func: string;
  readonly node: string | null;
  readonly args: readonly string[];
}

/**
 * Splits an rpc action's args on spaces (runs of spaces count as one; empty args cannot be
 * written, though translation may produce them). `func@host:port` names a remote node.
 */
export function parseRpcSpec(text: string): RpcSpec {
  const tokens = text.split(' ').filter((t) => t.length > 0);
  if (tokens.length === 0) throw new RouteError('you need to specify an rpc function');
  if (tokens.length - 1 > MAX_ARGS) throw new RouteError(`maximum number of rpc args (${MAX_ARGS}) reached`);
  const [first, ...args] = tokens;
  const at = first.indexOf('@');
  const func = at < 0 ? first : first.slice(0, at);
  return {
    name: binaryToBytes(func),
    func: binaryToText(func),
    node: at < 0 ? null : binaryToText(first.slice(at + 1)),
    args,
  };
}

/**
 * Calls the function with the translated args. null when there is no result: unknown
 * function, failure, unreachable node, or an empty result (an empty answer is a failure
 * in uWSGI's RPC). Each of those gets a log line.
 */
export async function callRpc(ctx: RouteContext, spec: RpcSpec, captures: Captures): Promise<Uint8Array | null> {
  const args: Uint8Array[] = [];
  for (const t of spec.args) {
    const a = translate(t, captures, ctx.vars);
    if (a.length > MAX_ARG) {
      logFailure(ctx, spec, `an argument is ${a.length} bytes (at most ${MAX_ARG})`);
      return null;
    }
    args.push(binaryToBytes(a));
  }
  let result: Uint8Array;
  try {
    result = await ctx.target.call(spec.node, spec.name, args);
  } catch (err) {
    logFailure(ctx, spec, err instanceof Error ? err.message : String(err));
    return null;
  }
  if (result.length === 0) {
    logFailure(ctx, spec, 'empty result');
    return null;
  }
  return result;
}

function logFailure(ctx: RouteContext, spec: RpcSpec, why: string): void {
  const rule = ctx.rules[ctx.pc];
  const where = spec.node === null ? '' : `@${spec.node}`;
  ctx.log(`route ${rule.option} = ${binaryToText(rule.value)}: ${JSON.stringify(spec.func)}${where}: ${why}`);
}
