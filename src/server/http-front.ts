// `--http-socket`: a node:http server whose requests go through the same routes and bridges as nginx's.
import {
  type IncomingMessage,
  type Server,
  type ServerResponse,
  createServer,
  validateHeaderName,
  validateHeaderValue,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TlsOptions } from 'node:tls';
import { hostname } from 'node:os';
import { type Bridge, needsBody } from '../dispatch/bridge.js';
import { varsFromHttp } from '../http/http-vars.js';
import type { HttpResponse } from '../http/response.js';
import { requestStarted } from './http-occupant.js';
import type { HttpService } from './http-service.js';
import type { LogLine } from './log.js';

/**
 * `--http-socket`: a node:http server whose requests become uWSGI-style vars and go through
 * the same routes and bridges as nginx's. `bridge` is what uWSGI's
 * --http-socket-modifier1 173 --http-socket-modifier2 N selects (0: routes only).
 * `bufferSize` bounds the request line and headers, as uWSGI's --buffer-size bounds its
 * --http-socket request head (instead of node's own 16 KB); more gets 431.
 */
export function createHttpFront(
  service: HttpService,
  bridge: Bridge,
  log: LogLine,
  bufferSize: number,
  requestTimeout: number,
  /** --https-socket: HTTP over TLS with these options (see tlsServerOptions), HTTPS=on in the vars as uWSGI. */
  tls?: TlsOptions,
): Server {
  const serverName = hostname();
  const https = tls !== undefined;
  // --request-timeout bounds the head (node counts from its first byte, as the uwsgi socket
  // does); bodies keep the bridges' bodyTimeout and node's own whole-request bound (which may
  // not be shorter than the head's). Node checks every connectionsCheckingInterval (30 s by
  // default): a quarter of the limit.
  const heads =
    requestTimeout > 0
      ? {
          headersTimeout: requestTimeout,
          requestTimeout: Math.max(NODE_REQUEST_TIMEOUT, requestTimeout),
          connectionsCheckingInterval: Math.min(1000, Math.max(5, Math.floor(requestTimeout / 4))),
        }
      : { headersTimeout: 0 };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    // busy for --max-conns until the response has closed
    requestStarted(req, res);
    handle(service, bridge, serverName, https, req, res, log).catch((err) => {
      log(`HTTP ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end('Internal Server Error');
      } else {
        res.destroy();
      }
    });
  };
  const server = https
    ? createHttpsServer({ ...tls, maxHeaderSize: bufferSize, ...heads }, onRequest)
    : createServer({ maxHeaderSize: bufferSize, ...heads }, onRequest);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
    clientError(err, socket, bufferSize, requestTimeout, log),
  );
  return server;
}

/** node:http's own default bound on a whole request, head and body (ms). */
const NODE_REQUEST_TIMEOUT = 300_000;

/** What node:http answers a request it cannot parse (its own texts), by error code. */
const CLIENT_ERROR_ANSWERS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/**
 * node:http's own answer to a request it cannot parse, plus the one log line a limit
 * reached gets: a head over --buffer-size (uWSGI closes without an answer there), or not
 * whole within --request-timeout.
 */
function clientError(
  err: NodeJS.ErrnoException,
  socket: Duplex,
  bufferSize: number,
  requestTimeout: number,
  log: LogLine,
): void {
  const peer = socket as Duplex & { remoteAddress?: string; remotePort?: number };
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    log(
      `${peer.remoteAddress}:${peer.remotePort}: buffer-size: an HTTP request head larger than ${bufferSize} bytes: 431`,
    );
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    log(
      `${peer.remoteAddress}:${peer.remotePort}: request-timeout: an HTTP request head not whole ${requestTimeout} ms after its first byte: 408`,
    );
  }
  const s = socket as Duplex & { bytesWritten?: number };
  if (s.writable && (s.bytesWritten ?? 0) === 0) s.write(CLIENT_ERROR_ANSWERS[err.code ?? ''] ?? BAD_REQUEST);
  s.destroy();
}

async function handle(
  service: HttpService,
  bridge: Bridge,
  serverName: string,
  https: boolean,
  req: IncomingMessage,
  res: ServerResponse,
  log: LogLine,
): Promise<void> {
  const vars = varsFromHttp(req, {
    https,
    remoteAddress: req.socket.remoteAddress,
    remotePort: req.socket.remotePort,
    serverName,
    serverPort: req.socket.localPort ?? '',
  });
  const d = service.dispatcher;
  let answer: HttpResponse;
  if (needsBody(bridge)) {
    const body = await readBody(req, d.maxBody, service.bodyTimeout);
    if (body === TIMED_OUT) {
      // As on the uwsgi socket: a body that does not come in time gets no answer.
      log(
        `HTTP ${req.method} ${req.url}: the body did not come within ${service.bodyTimeout} ms: connection closed without an answer`,
      );
      req.socket.destroy();
      return;
    }
    answer = body === null ? d.bodyTooLarge() : await d.dispatch(vars, bridge, body);
  } else {
    req.resume();
    answer = await d.dispatch(vars, bridge);
  }
  send(answer, res, log);
}

const TIMED_OUT = Symbol('timed out');

/**
 * The whole request body; null as soon as it passes `max` bytes; TIMED_OUT if it is not all there within `timeoutMs`.
 */
function readBody(req: IncomingMessage, max: number, timeoutMs: number): Promise<Uint8Array | null | typeof TIMED_OUT> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer =
      timeoutMs > 0 && timeoutMs !== Infinity
        ? setTimeout(() => resolve(TIMED_OUT), Math.min(timeoutMs, 2 ** 31 - 1))
        : undefined;
    const done = (v: Uint8Array | null) => {
      clearTimeout(timer);
      resolve(v);
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        done(null);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => done(Buffer.concat(chunks, size)));
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Writes an HttpResponse with node:http. node frames the body itself, so a Content-Length
 * that does not match the body and any Transfer-Encoding are left to it; what node cannot
 * send (no status line, a status that is not a number, a malformed header line) is
 * replaced or dropped, with a log line. Nothing written at all closes the connection
 * without an answer, as uWSGI does.
 */
function send(answer: HttpResponse, res: ServerResponse, log: LogLine): void {
  const head = answer.head;
  if (!answer.answered) {
    res.destroy();
    return;
  }
  const body = Buffer.concat(answer.body.map((b) => Buffer.from(b.buffer, b.byteOffset, b.length)));
  const code = head === null ? NaN : Number(head.status.slice(0, 3));
  if (head === null || !/^\d{3}$/.test(head.status.slice(0, 3)) || code < 100) {
    log(`HTTP answer with status ${JSON.stringify(head?.status ?? null)} cannot go out through node:http: 502`);
    res.statusCode = 502;
    res.end();
    return;
  }
  res.statusCode = code;
  res.statusMessage = head.status.length > 4 ? head.status.slice(4) : '';
  const headers = new Map<string, { name: string; values: string[] }>();
  for (const [rawName, rawValue] of head.headers) {
    let name = rawName;
    let value = rawValue;
    if (name === null) {
      const colon = value.indexOf(':');
      if (colon < 0) {
        log(`HTTP answer: header line ${JSON.stringify(value)} has no name: dropped`);
        continue;
      }
      name = value.slice(0, colon).trim();
      value = value.slice(colon + 1).trim();
    }
    const key = name.toLowerCase();
    if (key === 'transfer-encoding' || (key === 'content-length' && value !== String(body.length))) continue;
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      log(`HTTP answer: header ${JSON.stringify(name)} is not valid HTTP: dropped`);
      continue;
    }
    const entry = headers.get(key);
    if (entry === undefined) headers.set(key, { name, values: [value] });
    else entry.values.push(value);
  }
  for (const { name, values } of headers.values()) res.setHeader(name, values.length === 1 ? values[0] : values);
  res.end(body);
}
