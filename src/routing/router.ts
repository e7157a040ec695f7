// Router: runs the rules for one request in order, as uWSGI's internal routing does.
import type { HttpResponse } from '../http/response.js';
import type { RequestVars } from '../http/request-vars.js';
import type { RpcTarget } from '../http/rpc-target.js';
import { parseRule } from './parse-rule.js';
import type { Outcome, RouteContext, Rule } from './rule.js';

/** A routing option in the order given: `['route', '^/hello$ rpc:hello']`. */
export type RouteOption = readonly [option: string, value: string];

/**
 * uWSGI's internal routing (core/routing.c, uwsgi_apply_routes_do) for the rpc actions:
 * rules run in order; a rule whose regex matches its subject runs its action, which says
 * whether to go on, stop routing ('continue': the request goes on) or end the request
 * ('break'). Labels are skipped; goto jumps forward to one.
 */
export class Router {
  readonly rules: readonly Rule[];

  constructor(rules: readonly Rule[]) {
    this.rules = rules;
  }

  /** Parses routing options (throws RouteError on the first bad one). */
  static fromOptions(options: Iterable<RouteOption>): Router {
    const rules: Rule[] = [];
    for (const [option, value] of options) rules.push(parseRule(option, value));
    return new Router(rules);
  }

  get size(): number {
    return this.rules.length;
  }

  /** Runs the rules for one request; the answer (if any) is left in `response`. */
  async run(
    vars: RequestVars,
    response: HttpResponse,
    target: RpcTarget,
    log: (line: string) => void,
  ): Promise<Outcome> {
    const rules = this.rules;
    const ctx: RouteContext = { vars, response, target, log, rules, pc: 0, goto: 0 };
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (rule.label !== null) continue;
      if (ctx.goto > 0 && i < ctx.goto) continue;
      ctx.goto = 0;
      ctx.pc = i;
      let captures: RegExpExecArray | null = null;
      if (rule.subject !== null) {
        const subject = vars[rule.subject];
        // uWSGI's match on a subject that never came fails, whatever the regex.
        if (subject === null) continue;
        captures = rule.regex!.exec(subject);
        if (captures === null) continue;
      }
      const outcome = await rule.action!.run(ctx, captures);
      if (outcome !== 'next') return outcome;
    }
    return 'continue';
  }
}
