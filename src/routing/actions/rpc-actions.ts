// The rpc plugin's routing actions: rpc/call, rpcnext/rpcblob, rpcraw, rpcvar, rpcret.
import { latin1 } from '../../codec/bytes.js';
import { applyRawResponse } from '../raw-response.js';
import { type Action, type Outcome, type RouteContext, RouteError, findLabel } from '../rule.js';
import { callRpc, parseRpcSpec } from './rpc-call.js';

/*
 * The routing actions of uWSGI's rpc plugin (plugins/rpc/rpc_plugin.c). Each calls a
 * function, locally or on `func@node`; a call without a result ends the request (BREAK)
 * with nothing written, except for rpcvar.
 */

/** An action that calls `args`' function and, when it has a result, lets `then` decide. */
function withResult(args: string, then: (ctx: RouteContext, result: Uint8Array) => Outcome): Action {
  const spec = parseRpcSpec(args);
  return {
    async run(ctx, captures): Promise<Outcome> {
      const r = await callRpc(ctx, spec, captures);
      return r === null ? 'break' : then(ctx, r);
    },
  };
}

/** rpc / call: 200 with Content-Length and the result; routing stops. */
export function rpcAction(args: string): Action {
  return withResult(args, (ctx, r) => {
    const res = ctx.response;
    if (res.prepareHeaders('200 OK') && res.addContentLength(r.length)) res.writeBody(r);
    return 'break';
  });
}

/**
 * rpcnext / rpcblob: appends the result to the body (opening a `200` with
 * `Connection: close` and no length if nothing went out yet) and goes on with the next rule.
 */
export function rpcNextAction(args: string): Action {
  return withResult(args, (ctx, r) => {
    const res = ctx.response;
    if (!res.headersSent) {
      if (!res.prepareHeaders('200 OK') || !res.addConnectionClose()) return 'next';
    }
    res.writeBody(r);
    return 'next';
  });
}

/** rpcraw: the result is a whole raw HTTP response (see applyRawResponse); routing stops. */
export function rpcRawAction(args: string): Action {
  const spec = parseRpcSpec(args);
  return {
    async run(ctx, captures): Promise<Outcome> {
      const r = await callRpc(ctx, spec, captures);
      if (r !== null) applyRawResponse(ctx.response, r);
      return 'break';
    },
  };
}

/** rpcvar VAR func args: the result (empty when the call fails) becomes request var VAR. */
export function rpcVarAction(args: string): Action {
  const space = args.indexOf(' ');
  if (space < 0) throw new RouteError('rpcvar needs a var name, a function and its args');
  const name = args.slice(0, space);
  const spec = parseRpcSpec(args.slice(space + 1));
  return {
    async run(ctx, captures): Promise<Outcome> {
      const r = await callRpc(ctx, spec, captures);
      if (r !== null && r.length > 0xffff) {
        ctx.log(`route rpcvar ${name}: a ${r.length}-byte result does not fit a var (at most 65535)`);
        return 'break';
      }
      ctx.vars.append(name, r === null ? '' : latin1(r));
      return 'next';
    },
  };
}

/**
 * rpcret: the result says what routing does: `next`, `continue`, `break` (optionally
 * `break STATUS`: a head with that status, `Connection: close`, text/plain and no body),
 * or `goto LABEL` (forward only). Anything else means continue.
 */
export function rpcRetAction(args: string): Action {
  return withResult(args, (ctx, r) => {
    const s = latin1(r);
    if (s === 'next') return 'next';
    if (s === 'continue') return 'continue';
    if (s.startsWith('break')) {
      // uWSGI takes the status after "break" plus one separator char.
      if (s.length > 6) {
        const res = ctx.response;
        if (res.prepareHeaders(s.slice(6)) && res.addConnectionClose() && res.addContentType('text/plain'))
          res.writeHeaders();
      }
      return 'break';
    }
    if (s.startsWith('goto ')) {
      if (s.length <= 5) return 'break';
      const to = findLabel(ctx.rules, s.slice(5));
      if (to < 0) return 'break';
      if (to <= ctx.pc) {
        ctx.log(`route: "goto ${s.slice(5)}" from rpcret can only jump forward`);
        return 'break';
      }
      ctx.goto = to;
      return 'next';
    }
    return 'continue';
  });
}
