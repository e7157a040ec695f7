// One routing option (`route = REGEX ACTION:ARGS` and the others) read into a Rule, as uWSGI reads it.
import { textToBinary } from '../http/binary.js';
import { ACTIONS } from './actions/table.js';
import { PcreError, compilePcre } from './pcre.js';
import { type Action, type Rule, RouteError, type Subject } from './rule.js';

/** Route options with a subject: the request field their regex matches (uWSGI's names). */
const SUBJECT_OPTIONS: Readonly<Record<string, Subject>> = {
  route: 'pathInfo',
  'route-uri': 'uri',
  'route-qs': 'queryString',
  'route-host': 'host',
  'route-remote-addr': 'remoteAddr',
  'route-user-agent': 'userAgent',
  'route-referer': 'referer',
  'route-remote-user': 'remoteUser',
};

/** Every routing option understood here (the same names as uWSGI's). */
export const ROUTE_OPTIONS: readonly string[] = [...Object.keys(SUBJECT_OPTIONS), 'route-label', 'route-run'];

/**
 * One routing option, as uWSGI reads it (uwsgi_opt_add_route): `route-label = NAME`;
 * `route-run = ACTION:ARGS`; otherwise `REGEX ACTION:ARGS`, split at the first space (so the
 * regex holds no space: write `\s` or `\x20`), the action at its first `:`.
 * Throws RouteError for what uWSGI would refuse to start with.
 */
export function parseRule(option: string, text: string): Rule {
  const value = textToBinary(text);
  const fail = (why: string) => new RouteError(`${option} = ${text}: ${why}`);
  if (option === 'route-label') return { option, value, label: value, subject: null, regex: null, action: null };

  let command = value;
  let subject: Subject | null = null;
  let regex: RegExp | null = null;
  if (option !== 'route-run') {
    if (!Object.hasOwn(SUBJECT_OPTIONS, option)) throw fail('not a routing option');
    subject = SUBJECT_OPTIONS[option];
    const space = value.indexOf(' ');
    if (space < 0) throw fail('invalid route syntax (REGEX ACTION:ARGS)');
    try {
      regex = compilePcre(value.slice(0, space));
    } catch (err) {
      if (err instanceof PcreError) throw fail(`regex: ${err.message}`);
      throw err;
    }
    command = value.slice(space + 1);
  }
  const colon = command.indexOf(':');
  if (colon < 0) throw fail('invalid route syntax (no ACTION:)');
  const name = command.slice(0, colon);
  if (!Object.hasOwn(ACTIONS, name)) throw fail(`no routing action "${name}"`);
  let action: Action;
  try {
    action = ACTIONS[name](command.slice(colon + 1));
  } catch (err) {
    if (err instanceof RouteError) throw fail(err.message);
    throw err;
  }
  return { option, value, label: null, subject, regex, action };
}
