import { type Server, createServer } from 'node:http';

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  js: 'text/javascript',
  mjs: 'text/javascript',
  html: 'text/html',
  json: 'application/json',
};

/** Serves fixed in-memory files on 127.0.0.1 (port 0): the page, the bundle, the test script. */
export function serveFiles(files: Record<string, string | (() => string)>): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const f = files[path];
    if (f === undefined) {
      res.writeHead(404).end();
      return;
    }
    const ext = path.endsWith('/') ? 'html' : path.slice(path.lastIndexOf('.') + 1);
    res.writeHead(200, {
      'content-type': `${TYPES[ext] ?? 'application/octet-stream'}; charset=utf-8`,
      'cache-control': 'no-store',
    });
    res.end(typeof f === 'function' ? f() : f);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
