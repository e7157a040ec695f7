import { connect } from 'node:net';

/** Sends raw bytes to host:port and resolves with everything read until the peer closes (or timeout). */
export function rawExchange(address: string, request: string | Uint8Array, timeoutMs = 5000): Promise<Buffer> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(Number(address.slice(i + 1)), address.slice(0, i));
    const timer = setTimeout(() => {
      s.destroy();
      resolve(Buffer.concat(chunks));
    }, timeoutMs);
    s.on('data', (c) => chunks.push(c));
    s.on('error', (e) => {
      clearTimeout(timer);
      if (chunks.length > 0 || (e as NodeJS.ErrnoException).code === 'ECONNRESET') resolve(Buffer.concat(chunks));
      else reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    s.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
  });
}

/** A raw HTTP answer split into status line, header lines and body. */
export function splitAnswer(raw: Buffer): { status: string; headers: string[]; body: Buffer } | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [status, ...headers] = raw.subarray(0, end).toString('latin1').split('\r\n');
  return { status, headers, body: raw.subarray(end + 4) };
}
