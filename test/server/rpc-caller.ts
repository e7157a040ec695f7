// Drives fixtures/rpc_caller.py, a Python app in a real uWSGI (--http-socket): POST it a call
// and it makes it with uWSGI's own client, uwsgi.rpc(node, fn, *args), and says what came back.
import { request } from 'node:http';

/** What the app answers: no result (None), or the result's length, sha256 and (up to a size) hex. */
export type Reply = { none?: true; len?: number; sha256?: string; hex?: string | null; error?: string };

/**
 * Has the app at `http` (HOST:PORT) call uwsgi.rpc(node, fn, *args). `log` gives uWSGI's log for
 * the message when the app's answer is not JSON.
 */
export function rpcFromUwsgi(
  http: string,
  node: string,
  fn: string,
  args: Uint8Array[],
  log: () => string,
): Promise<Reply> {
  const body = JSON.stringify({
    node,
    fn: Buffer.from(fn, 'latin1').toString('hex'),
    args: args.map((a) => Buffer.from(a).toString('hex')),
  });
  const [host, port] = http.split(':');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        method: 'POST',
        path: '/',
        agent: false,
        headers: {
          connection: 'close',
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          try {
            resolve(JSON.parse(text) as Reply);
          } catch {
            reject(new Error(`uWSGI answered ${res.statusCode}: ${text.slice(0, 300)}\n--- uwsgi log ---\n${log()}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
