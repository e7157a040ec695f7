// The shapes of routing: Rule, Action, the outcome an action gives, RouteError.
import type { HttpResponse } from '../http/response.js';
import type { RequestVars } from '../http/request-vars.js';
import type { RpcTarget } from '../http/rpc-target.js';
import type { Captures } from './translate.js';

/**
 * What an action tells the router (uWSGI's UWSGI_ROUTE_*): go on with the next rule, stop
 * routing and let the request go on to the app (here: the bridge, or 404), or stop the
 * request here.
 */
export type Outcome = 'next' | 'continue' | 'break';

/** The request fields a rule can match (uWSGI's route subjects). */
export type Subject =
  | 'pathInfo'
  | 'uri'
  | 'queryString'
  | 'host'
  | 'remoteAddr'
  | 'userAgent'
  | 'referer'
  | 'remoteUser';

/** One request going through the rules. */
export interface RouteContext {
  readonly vars: RequestVars;
  readonly response: HttpResponse;
  readonly target: RpcTarget;
  readonly log: (line: string) => void;
  readonly rules: readonly Rule[];
  /** Index of the rule running. */
  pc: number;
  /** A forward jump asked by goto (index of the label), 0 for none. */
  goto: number;
}

export interface Action {
  run(ctx: RouteContext, captures: Captures): Outcome | Promise<Outcome>;
}

/** A parsed route option: a label, or a subject + regex (none for route-run) + action. */
export interface Rule {
  /** The option it came from ('route', 'route-uri' ...) and its value, for messages. */
  readonly option: string;
  readonly value: string;
  readonly label: string | null;
  readonly subject: Subject | null;
  readonly regex: RegExp | null;
  readonly action: Action | null;
}

/** A route option that cannot be used; uWSGI refuses to start on these. */
export class RouteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RouteError';
  }
}

/** Index of the first label rule named `name`, or -1. */
export function findLabel(rules: readonly Rule[], name: string): number {
  for (let i = 0; i < rules.length; i++) if (rules[i].label === name) return i;
  return -1;
}
