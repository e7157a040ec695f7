// uWSGI's TLS socket syntax, `ADDR,CERT,KEY[,CIPHERS[,CA]]` (--ssl-socket, --suwsgi-socket, --https-socket).
import type { ServerTlsOptions } from '../server/options.js';
import { UsageError } from './usage.js';

/** A TLS socket to listen on: the address and its TLS settings (files, read by the server). */
export interface TlsSocket {
  address: string;
  tls: ServerTlsOptions;
}

/**
 * As uWSGI reads it: split at the first four commas; an empty CIPHERS keeps the defaults. A CA makes client
 * certificates required; uWSGI's `!` before it says the same (uWSGI without `!` only checks a certificate that is
 * given: here every client must give one).
 */
export function parseTlsSocket(option: string, value: string): TlsSocket {
  const parts = value.split(',');
  const [address, cert, key] = parts;
  if (parts.length < 3 || address === '' || cert === '' || key === '')
    throw new UsageError(`--${option} ${value}: use ADDRESS,CERT,KEY[,CIPHERS[,CA]] (certificate and key files)`);
  // uWSGI splits CA off at the comma after CIPHERS; the rest, commas included, is the CA
  const ciphers = parts[3];
  const ca = parts.length > 4 ? parts.slice(4).join(',') : undefined;
  const tls: ServerTlsOptions = { cert, key };
  if (ciphers !== undefined && ciphers !== '') tls.ciphers = ciphers;
  if (ca === '!') throw new UsageError(`--${option} ${value}: a CA file goes after the '!'`);
  if (ca !== undefined && ca !== '') tls.ca = ca;
  return { address, tls };
}
