// An HTTP request (node:http's fields) as the vars uWSGI's HTTP socket builds for it.
import { decodePathInfo } from './path-info.js';
import { RequestVars } from './request-vars.js';

/**
 * What the vars need from an HTTP request: the fields of node:http's IncomingMessage of the
 * same names. Node decodes the request line and header bytes as latin1, so `url` and
 * `rawHeaders` are already binary strings (one char per byte).
 */
export interface HttpRequestHead {
  method?: string;
  /** The request target exactly as sent (path and query). */
  url?: string;
  /** '1.1', '1.0' */
  httpVersion: string;
  /** Names and values alternating, in arrival order. */
  rawHeaders: string[];
}

/** Where the request came in. */
export interface HttpEndpoint {
  remoteAddress?: string;
  remotePort?: number;
  /** SERVER_NAME: uWSGI puts its host name there. */
  serverName: string;
  serverPort: number | string;
  /** Came over TLS (uWSGI's --https-socket): HTTPS=on. */
  https?: boolean;
}

/**
 * The vars uWSGI's HTTP socket parser (proto/http.c) builds for a request, in its order:
 * REQUEST_METHOD, REQUEST_URI, PATH_INFO (decoded, see decodePathInfo), QUERY_STRING,
 * SERVER_PROTOCOL, SCRIPT_NAME (empty), SERVER_NAME, SERVER_PORT, REMOTE_ADDR, HTTPS (on, over TLS), then one var
 * per header name. Beyond uWSGI, REMOTE_PORT is set too (nginx's uwsgi_params send it).
 */
export function varsFromHttp(req: HttpRequestHead, at: HttpEndpoint): RequestVars {
  const vars = new RequestVars();
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  vars.add('REQUEST_METHOD', req.method ?? 'GET');
  vars.add('REQUEST_URI', target);
  vars.add('PATH_INFO', decodePathInfo(q < 0 ? target : target.slice(0, q)));
  vars.add('QUERY_STRING', q < 0 ? '' : target.slice(q + 1));
  vars.add('SERVER_PROTOCOL', `HTTP/${req.httpVersion}`);
  vars.add('SCRIPT_NAME', '');
  vars.add('SERVER_NAME', at.serverName);
  vars.add('SERVER_PORT', String(at.serverPort));
  vars.add('REMOTE_ADDR', plainAddress(at.remoteAddress ?? ''));
  if (at.https === true) vars.add('HTTPS', 'on');
  if (at.remotePort !== undefined) vars.add('REMOTE_PORT', String(at.remotePort));
  for (const [k, v] of headerVars(req.rawHeaders)) vars.add(k, v);
  return vars;
}

/**
 * Header lines as CGI vars: the name upper-cased with `-` as `_` and prefixed `HTTP_`
 * (but CONTENT_TYPE and CONTENT_LENGTH bare); repeated names merged with ", " at the place
 * of the first, as uWSGI does.
 */
function headerVars(rawHeaders: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  const at = new Map<string, number>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    let key = rawHeaders[i].toUpperCase().replace(/-/g, '_');
    if (key !== 'CONTENT_LENGTH' && key !== 'CONTENT_TYPE') key = `HTTP_${key}`;
    const value = rawHeaders[i + 1];
    const seen = at.get(key);
    if (seen === undefined) {
      at.set(key, out.length);
      out.push([key, value]);
    } else {
      out[seen][1] += `, ${value}`;
    }
  }
  return out;
}

/** An IPv4-mapped IPv6 address as plain IPv4, as uWSGI writes REMOTE_ADDR. */
function plainAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
