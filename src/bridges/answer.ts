// The one way a bridge writes a whole 200 answer (Content-Length, Content-Type, body).
import type { HttpResponse } from '../http/response.js';

/** A whole 200 answer: Content-Length, Content-Type, body (each step stops once something went out). */
export function answer(res: HttpResponse, contentType: string, body: Uint8Array): void {
  if (!res.prepareHeaders('200 OK')) return;
  if (!res.addContentLength(body.length)) return;
  if (!res.addContentType(contentType)) return;
  res.writeBody(body);
}

/** One log line's worth of an error. */
export function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
}
