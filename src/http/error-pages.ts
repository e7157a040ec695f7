// uWSGI's stock error answers (404, 500, 413), and 400 for typed args that do not fit, written into an HttpResponse.
import type { HttpResponse } from './response.js';

/**
 * uWSGI's stock error answers (core/errors.c): status, `Connection: close`, a text/plain
 * body and no Content-Length. Each step gives up silently once something already went out,
 * as uWSGI's do.
 */
function page(res: HttpResponse, status: string, text: string): void {
  if (!res.prepareHeaders(status)) return;
  if (!res.addConnectionClose()) return;
  if (!res.addContentType('text/plain')) return;
  res.writeBody(text);
}

export function notFound(res: HttpResponse): void {
  page(res, '404 Not Found', 'Not Found');
}

export function internalError(res: HttpResponse): void {
  page(res, '500 Internal Server Error', 'Internal Server Error');
}

/** Beyond uWSGI (it has no body limit of its own here): a request body over the bridge's limit. */
export function tooLarge(res: HttpResponse): void {
  page(res, '413 Request Entity Too Large', 'Request Entity Too Large');
}

/** Beyond uWSGI (it has no typed functions): args that do not fit a typed function, with the reason. */
export function badRequest(res: HttpResponse, reason: string): void {
  page(res, '400 Bad Request', `Bad Request: ${reason}\n`);
}
