import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Peer, freePort, startPeer, waitListening } from './processes.js';

export interface Nginx extends Peer {
  /** host:port nginx serves HTTP on. */
  address: string;
}

/**
 * A real nginx in the foreground (no daemon, no master: one process, stopped with SIGQUIT),
 * serving HTTP on a free 127.0.0.1 port with `locations` (nginx config text) in its one
 * server block. Everything it writes (config, pid, logs, temp files) stays in `dir`.
 */
export async function startNginx(locations: string, dir: string): Promise<Nginx> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log info;
events { worker_connections 64; }
http {
  access_log ${dir}/nginx-access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen ${address};
    ${locations}
  }
}
`,
  );
  const peer = startPeer(
    'nginx',
    ['-e', join(dir, 'nginx-error.log'), '-p', dir, '-c', conf],
    join(dir, 'nginx.out'),
    'SIGQUIT',
  );
  try {
    await waitListening(address, peer.child);
  } catch (err) {
    await peer.stop();
    throw new Error(`${(err as Error).message}\n--- nginx output ---\n${peer.logText()}`);
  }
  return { ...peer, address, logText: () => `${peer.logText()}${readLog(join(dir, 'nginx-error.log'))}` };
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
