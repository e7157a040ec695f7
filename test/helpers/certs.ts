// Throwaway certificates made with openssl for the TLS tests: two CAs, a server certificate for 127.0.0.1 and
// localhost, client certificates (good, from the other CA, expired). Never committed: made in a temp folder.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Certs {
  dir: string;
  /** The CA that signed server, client and expired. */
  ca: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
  /** Signed by otherCa. */
  stranger: { cert: string; key: string };
  /** Signed by ca, valid from 2020-01-01 to 2020-01-02. */
  expired: { cert: string; key: string };
  otherCa: string;
  /** A second server certificate (127.0.0.1, localhost), signed by otherCa: what a reload swaps in. */
  server2: { cert: string; key: string };
  /** A file's text (PEM). */
  read(path: string): string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
  ]);
}

/** A leaf certificate signed by `ca`; `dates` as openssl x509 -not_before/-not_after, else valid 2 days. */
function makeLeaf(dir: string, name: string, ca: string, ext: string, expired = false): void {
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  ]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  if (expired) {
    // openssl ca takes explicit dates; x509 -req does not before OpenSSL 3.4
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(
      join(dir, 'ca.cnf'),
      `[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n` +
        `copy_extensions=none\n[p]\ncommonName=supplied\n`,
    );
    writeFileSync(join(dir, 'serial'), '01\n');
    openssl(dir, [
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-cert',
      `${ca}.crt`,
      '-keyfile',
      `${ca}.key`,
      '-in',
      `${name}.csr`,
      '-out',
      `${name}.crt`,
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200102000000Z',
      '-extfile',
      `${name}.ext`,
      '-notext',
    ]);
    return;
  }
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
}

/** Makes the set in `dir` (a temp folder the caller removes). */
export function makeCerts(dir: string): Certs {
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeLeaf(dir, 'server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  makeLeaf(dir, 'server2', 'other-ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const clientExt = 'extendedKeyUsage=clientAuth\n';
  makeLeaf(dir, 'client', 'ca', clientExt);
  makeLeaf(dir, 'stranger', 'other-ca', clientExt);
  makeLeaf(dir, 'expired', 'ca', clientExt, true);
  const pair = (n: string) => ({ cert: join(dir, `${n}.crt`), key: join(dir, `${n}.key`) });
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    otherCa: join(dir, 'other-ca.crt'),
    server: pair('server'),
    server2: pair('server2'),
    client: pair('client'),
    stranger: pair('stranger'),
    expired: pair('expired'),
    read: (path) => readFileSync(path, 'utf8'),
  };
}

/** openssl is there (the TLS suites need it to make their certificates). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
