// --subscribe-to, --subscribe2 and key-file values, read the way uWSGI reads them.
import { RpcError } from '../rpc-error.js';

/** uWSGI's --subscribe-freq default: a router forgets a node not heard from in 17 s (--subscription-tolerance). */
export const DEFAULT_SUBSCRIBE_FREQ = 10;

/** One `--subscribe-to` value, read the way uWSGI reads it. */
export interface SubscribeTarget {
  /** The subscription server: `HOST:PORT` (UDP) or `[V6]:PORT`. */
  server: string;
  /** The pool key, or (`SERVER:@FILE`) a file of `KEY[,MODIFIER1]` lines read at every announce. */
  key: { name: string } | { file: string };
  /** Written into forwarded requests by a fastrouter (default 0). */
  modifier1: number;
  /** `DIGEST:PRIVATE_KEY.pem`: sign the packets (uWSGI's secured subscriptions). */
  sign?: { digest: string; keyFile: string };
  /** `ADDRESS=SERVER:KEY`: announce this address instead of the node's first socket. */
  address?: string;
  /** --subscribe2 only: announce the node's Nth socket (`socket=N`, from 0). */
  socket?: number;
  /**
   * --subscribe2 only: modifier2, weight, a file that pauses announcing while it exists (`check`), SNI files for SSL
   * routers.
   */
  modifier2?: number;
  weight?: number;
  check?: string;
  sni?: { key?: string; crt?: string; ca?: string };
  /** The value as given, for log lines. */
  text: string;
}

/**
 * Parses `[ADDRESS=]SERVER:PORT:KEY[,MODIFIER1[,DIGEST:KEYFILE]]` (uWSGI's --subscribe-to).
 * The key may hold colons (a rawrouter's key is its own socket name, `10.0.0.1:3060`); it
 * ends at the first comma. Throws RpcError INVALID with what is wrong.
 */
export function parseSubscribeTo(text: string): SubscribeTarget {
  const bad = (why: string): never => {
    throw new RpcError(
      'INVALID',
      `--subscribe-to ${text}: ${why} (use [ADDRESS=]SERVER:PORT:KEY[,MODIFIER1[,DIGEST:KEYFILE]])`,
    );
  };
  if (typeof text !== 'string') return bad('not a string');
  let rest = text.trim();
  let address: string | undefined;
  const eq = rest.indexOf('=');
  if (eq >= 0) {
    address = rest.slice(0, eq);
    rest = rest.slice(eq + 1);
    if (address === '') bad('empty address before "="');
    // uWSGI's `=N=` names a shared socket by number: there are none here
    if (/^\d+$/.test(address)) bad('numbered shared sockets (=N=) do not exist here; give the address');
  }
  if (rest.startsWith('/'))
    bad(
      'unix datagram subscription servers cannot be reached from Node.js (no AF_UNIX datagram sockets); use HOST:PORT',
    );
  let portAt: number;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']:');
    if (close < 0) bad('an IPv6 server is [ADDRESS]:PORT');
    portAt = close + 2;
  } else {
    portAt = rest.indexOf(':') + 1;
    if (portAt === 0) bad('no port');
  }
  const keyAt = rest.indexOf(':', portAt);
  if (keyAt < 0) bad('no key after the port');
  const server = rest.slice(0, keyAt);
  const port = rest.slice(portAt, keyAt);
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) bad(`bad port "${port}"`);
  if (portAt === 1) bad('no server host');
  const [keyText, m1Text, ...signParts] = rest.slice(keyAt + 1).split(',');
  if (keyText === '') bad('empty key');
  const key = keyText.startsWith('@') ? { file: keyText.slice(1) } : { name: keyText };
  if ('file' in key && key.file === '') bad('empty key file after "@"');
  const modifier1 = m1Text === undefined || m1Text === '' ? 0 : Number(m1Text);
  if (!/^\d*$/.test(m1Text ?? '') || modifier1 > 255) bad(`modifier1 "${m1Text}" is not 0..255`);
  let sign: SubscribeTarget['sign'];
  if (signParts.length > 0) {
    const spec = signParts.join(',');
    const colon = spec.indexOf(':');
    if (colon <= 0 || colon === spec.length - 1)
      bad(`signing "${spec}" must be DIGEST:KEYFILE (sha1:/etc/keys/node.pem)`);
    sign = { digest: spec.slice(0, colon), keyFile: spec.slice(colon + 1) };
  }
  return { server, key, modifier1, sign, address, text };
}

const SUBSCRIBE2_KEYS = new Set([
  'server',
  'key',
  'socket',
  'addr',
  'address',
  'weight',
  'modifier1',
  'modifier2',
  'sign',
  'check',
  'sni_key',
  'sni_crt',
  'sni_ca',
]);

/**
 * Parses uWSGI's --subscribe2 `key=value,...` form: server and key required; addr (or
 * socket=N), weight, modifier1, modifier2, sign=DIGEST:KEYFILE, check=FILE, sni_key,
 * sni_crt, sni_ca. A `\,` keeps a comma in a value. Unlike uWSGI, whose `weight` here
 * changes the node's weight for every subscription, it applies to this one.
 */
export function parseSubscribe2(text: string): SubscribeTarget {
  const bad = (why: string): never => {
    throw new RpcError(
      'INVALID',
      `--subscribe2 ${text}: ${why} (use server=HOST:PORT,key=KEY[,addr=...,weight=N,modifier1=N,modifier2=N,sign=DIGEST:KEYFILE,check=FILE])`,
    );
  };
  if (typeof text !== 'string') return bad('not a string');
  const kv = new Map<string, string>();
  for (const part of text.trim().split(/(?<!\\),/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) bad(`"${part}" is not key=value`);
    const k = part.slice(0, eq);
    if (!SUBSCRIBE2_KEYS.has(k)) bad(`unknown key "${k}"`);
    kv.set(k === 'address' ? 'addr' : k, part.slice(eq + 1).replace(/\\,/g, ','));
  }
  const server = kv.get('server');
  const key = kv.get('key');
  if (server === undefined || server === '') return bad('no server');
  if (key === undefined || key === '') return bad('no key');
  const num = (name: string, max: number): number | undefined => {
    const v = kv.get(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) > max) bad(`${name} "${v}" is not 0..${max}`);
    return Number(v);
  };
  // the server and signing parts are read as --subscribe-to reads them
  const sign = kv.get('sign');
  const base = parseSubscribeTo(`${server}:${key}${sign === undefined ? '' : `,0,${sign}`}`);
  if (base.key !== undefined && 'file' in base.key) bad('key files (@FILE) are --subscribe-to only');
  const sni = { key: kv.get('sni_key'), crt: kv.get('sni_crt'), ca: kv.get('sni_ca') };
  return {
    ...base,
    modifier1: num('modifier1', 255) ?? 0,
    modifier2: num('modifier2', 255),
    weight: num('weight', 1 << 30),
    socket: num('socket', 1023),
    address: kv.get('addr'),
    check: kv.get('check'),
    sni: sni.key === undefined && sni.crt === undefined && sni.ca === undefined ? undefined : sni,
    text,
  };
}

/**
 * `KEY[,MODIFIER1]` lines of a `SERVER:@FILE` key file; `#` lines and blank lines skipped, bad lines returned apart.
 */
export function parseKeyFile(text: string): { keys: { key: string; modifier1: number }[]; bad: string[] } {
  const keys: { key: string; modifier1: number }[] = [];
  const bad: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const comma = line.indexOf(',');
    const key = comma < 0 ? line : line.slice(0, comma);
    const m1Text = comma < 0 ? '0' : line.slice(comma + 1).trim();
    const m1 = Number(m1Text);
    if (key === '' || !/^\d+$/.test(m1Text) || m1 > 255) bad.push(line);
    else keys.push({ key, modifier1: m1 });
  }
  return { keys, bad };
}
