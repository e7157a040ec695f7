// The routing actions that steer the rules or the answer: continue, break, return, goto, log, addheader, addvar.
import { binaryToText } from '../../http/binary.js';
import { reasonPhrase } from '../../http/status.js';
import { type Action, RouteError, findLabel } from '../rule.js';
import { translate } from '../translate.js';

/* The core routing actions (core/routing.c) that rpc routes need around them. */

/** continue / last: stop routing; the request goes on (to the bridge, or 404 here). */
export function continueAction(): Action {
  return { run: () => 'continue' };
}

/**
 * break[:STATUS]: stop the request. With a status of 3+ chars, a head with it,
 * `Connection: close` and text/plain goes out, with no body; without, nothing is written.
 */
export function breakAction(args: string): Action {
  return {
    run(ctx) {
      const res = ctx.response;
      if (
        args.length >= 3 &&
        res.prepareHeaders(args) &&
        res.addConnectionClose() &&
        res.addContentType('text/plain')
      ) {
        res.writeHeaders();
      }
      return 'break';
    },
  };
}

/** return / break-with-status:CODE: a whole answer with the status's phrase as its text/plain body. */
export function returnAction(args: string): Action {
  return {
    run(ctx) {
      const phrase = args.length >= 3 ? reasonPhrase(args) : undefined;
      if (phrase === undefined) return 'break';
      const res = ctx.response;
      if (
        res.prepareHeaders(`${args} ${phrase}`) &&
        res.addContentType('text/plain') &&
        res.addContentLength(phrase.length)
      ) {
        res.writeBody(phrase);
      }
      return 'break';
    },
  };
}

/**
 * goto:LABEL (translated): jump forward to the label. A label that does not exist is read
 * as a rule index (uWSGI's atoi); a jump that is not forward ends the request.
 */
export function gotoAction(args: string): Action {
  const fallback = atoi(args);
  return {
    run(ctx, captures) {
      const label = translate(args, captures, ctx.vars);
      let to = findLabel(ctx.rules, label);
      if (to < 0) to = fallback;
      if (to <= ctx.pc) {
        ctx.log(`route: "goto ${binaryToText(label)}" can only jump forward`);
        return 'break';
      }
      ctx.goto = to;
      return 'next';
    },
  };
}

/** log:TEXT (translated): one log line. */
export function logAction(args: string): Action {
  return {
    run(ctx, captures) {
      ctx.log(binaryToText(translate(args, captures, ctx.vars)));
      return 'next';
    },
  };
}

/** addheader:NAME: VALUE (translated): a header line for the answer's head, whenever it goes out. */
export function addHeaderAction(args: string): Action {
  return {
    run(ctx, captures) {
      ctx.response.addExtraHeader(translate(args, captures, ctx.vars));
      return 'next';
    },
  };
}

/** addvar:KEY=VALUE (value translated): a new request var. */
export function addVarAction(args: string): Action {
  const eq = args.indexOf('=');
  if (eq < 0) throw new RouteError('invalid addvar syntax, must be KEY=VAL');
  const key = args.slice(0, eq);
  const value = args.slice(eq + 1);
  return {
    run(ctx, captures) {
      ctx.vars.append(key, translate(value, captures, ctx.vars));
      return 'next';
    },
  };
}

/** C's atoi: optional spaces and sign, then digits; 0 when there are none. */
function atoi(s: string): number {
  const m = /^[\t\n\v\f\r ]*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Math.max(-2147483648, Math.min(2147483647, Number(m[1])));
}
