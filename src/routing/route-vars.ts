// The `${name[arg]}` functions of uWSGI's routing that make sense here (cookie, qs, ...).
import type { RequestVars } from '../http/request-vars.js';

/**
 * The `${name[arg]}` functions of uWSGI's routing (core/routing.c, cookie.c, querystring.c)
 * that make sense here. undefined means "no value": nothing is substituted.
 * (uWSGI also has mime, time, httptime and uwsgi: not provided; they read as missing vars.)
 */
export type RouteVar = (vars: RequestVars, arg: string) => string | undefined;

const isSpace = (c: string) => c === ' ' || (c >= '\t' && c <= '\r');

/** `key=value` pairs split on `sep`; the first with this exact key and a non-empty value. */
function lookupPair(list: string, sep: string, key: string, trim: boolean): string | undefined {
  for (let part of list.split(sep)) {
    if (trim) {
      let a = 0;
      let b = part.length;
      while (a < b && isSpace(part[a])) a++;
      while (b > a && isSpace(part[b - 1])) b--;
      part = part.slice(a, b);
    }
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq) !== key) continue;
    if (eq + 1 < part.length) return part.slice(eq + 1);
  }
  return undefined;
}

const HEX = '0123456789abcdef';

export const ROUTE_VARS: Record<string, RouteVar> = {
  /** A query string parameter, raw (not percent-decoded). */
  qs: (vars, key) => (vars.queryString ? lookupPair(vars.queryString, '&', key, false) : undefined),
  /** A cookie's value. */
  cookie: (vars, key) => (vars.cookie ? lookupPair(vars.cookie, ';', key, true) : undefined),
  /** A var's value in base64. */
  base64: (vars, key) => {
    const v = vars.get(key);
    return v === undefined ? undefined : btoa(v);
  },
  /** A var's value in lower-case hex. */
  hex: (vars, key) => {
    const v = vars.get(key);
    if (v === undefined) return undefined;
    let s = '';
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      s += HEX[c >> 4] + HEX[c & 15];
    }
    return s;
  },
  /** A var's value with ASCII letters upper-cased. */
  upper: (vars, key) => vars.get(key)?.replace(/[a-z]+/g, (s) => s.toUpperCase()),
  /** A var's value with ASCII letters lower-cased. */
  lower: (vars, key) => vars.get(key)?.replace(/[A-Z]+/g, (s) => s.toLowerCase()),
};
