// --metrics HOST:PORT: GET /metrics in the Prometheus text format, GET / the dashboard, and
// GET /stats.json the stats document the dashboard reads.
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { formatAddress, parseAddress } from '../address/address.js';
import { bind } from '../server/listen.js';

export interface MetricsServerOptions {
  /** The exposition text and its content type. */
  metrics: () => Promise<{ text: string; contentType: string }>;
  /** The stats document. */
  stats: () => Promise<Record<string, unknown>>;
  log: (line: string) => void;
  /** More pages by path (the dashboard). */
  pages?: Record<string, { type: string; body: string }>;
}

export interface MetricsServer {
  readonly address: string;
  close(): Promise<void>;
}

/** Listens on `address`; resolves with the bound address. */
export async function startMetricsServer(address: string, options: MetricsServerOptions): Promise<MetricsServer> {
  const where = parseAddress(address);
  const server = createServer((req, res) => {
    answer(req, res, options).catch((err: unknown) => {
      options.log(`metrics server ${address}: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'the metrics could not be read\n');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  const port = await bind(server, where, {});
  server.on('error', (err) => options.log(`metrics server ${address}: ${err.message}`));
  return {
    address: formatAddress(where.kind === 'tcp' ? { ...where, port } : where),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, o: MetricsServerOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const page = o.pages !== undefined && Object.hasOwn(o.pages, path) ? o.pages[path] : undefined;
  if (path !== '/metrics' && path !== '/stats.json' && page === undefined)
    return send(res, 404, 'text/plain; charset=utf-8', `${path}: not found (try /metrics)\n`);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', `${req.method} ${path}: only GET\n`);
  }
  if (page !== undefined) return send(res, 200, page.type, page.body);
  if (path === '/stats.json') return send(res, 200, 'application/json', JSON.stringify(await o.stats()));
  const m = await o.metrics();
  send(res, 200, m.contentType, m.text);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
