// A route action's argument with $0..$9 and ${VAR} filled in from the match and the request.
import type { RequestVars } from '../http/request-vars.js';
import { ROUTE_VARS } from './route-vars.js';

/** What a rule's regex captured: index 0 the whole match; undefined for a group that did not take part. */
export type Captures = ArrayLike<string | undefined> | null;

/**
 * A route action's argument with `$0..$9` (regex groups) and `${VAR}` (request vars)
 * substituted, in uWSGI's two passes (core/regexp.c, core/routing.c):
 * 1. `$N`, one digit: the group's text ("" for a group beyond the pattern's or one that did
 *    not match). `$` before anything else stays as is; a `$` at the very end is dropped.
 *    uWSGI works on C strings here, so the result stops at its first NUL byte.
 * 2. `${NAME}`: the request var (the last of that name), `${fn[arg]}` a route var function
 *    (qs, cookie, ...); nothing when missing. An unclosed `${` stays as written.
 * Difference: uWSGI 2.0.21 built with PCRE2 crashes on `$0` in a rule without groups; here
 * `$0` is the whole match.
 */
export function translate(template: string, captures: Captures, vars: RequestVars): string {
  return expandVars(expandGroups(template, captures), vars);
}

function expandGroups(t: string, captures: Captures): string {
  if (t.indexOf('$') < 0) return cutAtNul(t);
  let out = '';
  let dollar = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (dollar) {
      dollar = false;
      if (c >= '0' && c <= '9') {
        const n = c.charCodeAt(0) - 48;
        if (captures !== null && n < captures.length) out += captures[n] ?? '';
      } else {
        out += `$${c}`;
      }
    } else if (c === '$') {
      dollar = true;
    } else {
      out += c;
    }
  }
  return cutAtNul(out);
}

function cutAtNul(s: string): string {
  const z = s.indexOf('\0');
  return z < 0 ? s : s.slice(0, z);
}

function expandVars(t: string, vars: RequestVars): string {
  if (t.indexOf('$') < 0) return t;
  let out = '';
  let state = 0;
  let keyStart = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (state === 0) {
      if (c === '$') state = 1;
      else out += c;
    } else if (state === 1) {
      if (c === '{') {
        state = 2;
        keyStart = i + 1;
      } else {
        state = 0;
        out += `$${c}`;
      }
    } else if (c === '}') {
      out += lookup(t.slice(keyStart, i), vars) ?? '';
      state = 0;
    }
  }
  if (state === 1) out += '$';
  else if (state === 2) out += `\${${t.slice(keyStart)}`;
  return out;
}

function lookup(key: string, vars: RequestVars): string | undefined {
  const bracket = key.indexOf('[');
  if (bracket >= 0 && key.endsWith(']')) {
    const name = key.slice(0, bracket);
    if (Object.hasOwn(ROUTE_VARS, name)) return ROUTE_VARS[name](vars, key.slice(bracket + 1, -1));
  }
  return vars.get(key);
}
