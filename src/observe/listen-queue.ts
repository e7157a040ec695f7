// The kernel's view of a listening TCP socket's accept queue (Linux: /proc/net/tcp and tcp6),
// as uWSGI reports it in its stats: connections waiting to be accepted, and the queue's size.
import { readFileSync } from 'node:fs';

/** Connections waiting in the accept queue of the TCP listening sockets on one port. */
export interface ListenQueue {
  queue: number;
}

const LISTEN_STATE = '0A';

/**
 * Listening sockets by local port, from /proc/net/tcp{,6}: for a socket in LISTEN state the
 * kernel writes its accept queue's length in rx_queue. Sockets sharing a port (SO_REUSEPORT)
 * are added up. Empty where there is no /proc.
 */
export function listenQueues(): Map<number, ListenQueue> {
  const out = new Map<number, ListenQueue>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 5 || f[3] !== LISTEN_STATE) continue;
      const port = Number.parseInt(f[1].slice(f[1].lastIndexOf(':') + 1), 16);
      const rx = Number.parseInt(f[4].slice(f[4].indexOf(':') + 1), 16);
      const q = out.get(port) ?? { queue: 0 };
      q.queue += rx;
      out.set(port, q);
    }
  }
  return out;
}

/** The kernel's cap on a listen queue (net.core.somaxconn), or null where it cannot be read. */
export function maxListenQueue(): number | null {
  try {
    const n = Number(readFileSync('/proc/sys/net/core/somaxconn', 'latin1').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}
