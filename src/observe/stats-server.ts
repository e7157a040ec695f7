// uWSGI's --stats server: each connection gets the stats document, then is closed; with
// --stats-http the document comes as an HTTP/1.0 answer (what uwsgitop, netdata, Telegraf
// and Datadog read either way).
import { type Server, type Socket, createServer } from 'node:net';
import { formatAddress, parseAddress } from '../address/address.js';
import { bind } from '../server/listen.js';

export interface StatsServerOptions {
  /** Answer as HTTP (uWSGI's --stats-http). */
  http: boolean;
  /** No whitespace in the JSON (uWSGI's --stats-minified). */
  minified: boolean;
  /** The document, built for each connection. */
  document: () => Promise<Record<string, unknown>>;
  /** A line for the operator when a document cannot be built. */
  log: (line: string) => void;
}

/** A listening stats server. */
export interface StatsServer {
  readonly address: string;
  close(): Promise<void>;
}

/** A few readers at a time (uWSGI's stats socket takes its default listen queue). */
const STATS_BACKLOG = 100;

/** The header uWSGI's stats server puts before the document with --stats-http. */
const HTTP_HEAD =
  'HTTP/1.0 200 OK\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: application/json\r\n\r\n';

/** Listens on `address` (HOST:PORT, or a unix socket path as uWSGI takes it); resolves with the bound address. */
export async function startStatsServer(address: string, options: StatsServerOptions): Promise<StatsServer> {
  const where = parseAddress(address);
  const server: Server = createServer((socket: Socket) => {
    socket.on('error', () => {});
    // what an HTTP client sends is read and dropped: the answer does not depend on it
    socket.resume();
    options.document().then(
      (doc) => {
        const json = options.minified ? JSON.stringify(doc) : JSON.stringify(doc, null, '\t');
        socket.end(options.http ? HTTP_HEAD + json : json);
      },
      (err: unknown) => {
        options.log(`stats server ${address}: ${err instanceof Error ? err.message : String(err)}`);
        socket.destroy();
      },
    );
  });
  const port = await bind(server, where, { backlog: STATS_BACKLOG, reusePort: false });
  server.on('error', (err) => options.log(`stats server ${address}: ${err.message}`));
  return {
    address: formatAddress(where.kind === 'tcp' ? { ...where, port } : where),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
