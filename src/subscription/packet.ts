// uWSGI's subscription datagrams (modifier1 224): encoded and decoded byte for byte, signed where asked.
import { type Bytes, utf8 } from '../codec/bytes.js';
import { createCodecSync } from '../codec/create.js';
import { utf8Length } from '../codec/bytes.js';
import { RpcError } from '../rpc-error.js';

/** uWSGI's subscription packets: a uwsgi vars packet with modifier1 224 sent in one UDP datagram. */
export const SUBSCRIPTION_MODIFIER1 = 224;
/** modifier2 of a subscription packet: announce (join or stay in the pool) or leave. */
export const SUBSCRIBE = 0;
export const UNSUBSCRIBE = 1;
/** uWSGI's subscription servers read a datagram into a 4096-byte buffer: a longer one arrives cut. */
export const MAX_SUBSCRIPTION_PACKET = 4096;
/** uWSGI keeps a node's address in a 256-byte field. */
export const MAX_ADDRESS = 255;

/** What a node tells a router about itself, in the order uWSGI writes the keys. */
export interface Announcement {
  /** The pool: the router's socket name for a rawrouter, a host name for a fastrouter. */
  key: string;
  /** Where the router should connect to reach this node (`10.0.0.2:3031`, a unix path). */
  address: string;
  /** Written into requests forwarded by a fastrouter; a rawrouter ignores them. */
  modifier1: number;
  modifier2: number;
  cores: number;
  load: number;
  weight: number;
  /** For an SSL-terminating router (uWSGI's sni_key, sni_crt, sni_ca: file names on the router's host). */
  sniKey?: string;
  sniCrt?: string;
  sniCa?: string;
  /** A unix datagram socket the router acknowledges new subscriptions to (uWSGI's `notify`). */
  notify?: string;
}

/**
 * Signs `base` (the packet body up to and including the `unix` timestamp) with the node's
 * private key, as uWSGI's --subscribe-to ...,DIGEST:KEYFILE does; the router checks it with
 * --subscriptions-sign-check DIGEST:DIR against DIR/<key>.pem.
 */
export type SignFunction = (base: Bytes) => Bytes;

export interface SignOptions {
  sign: SignFunction;
  /** Seconds since the epoch; the router refuses stale and replayed timestamps. */
  now: number;
}

const codec = createCodecSync();

/** The datagram for `announcement` (command SUBSCRIBE or UNSUBSCRIBE), signed when `signing` is given. */
export function encodeSubscription(a: Announcement, command: number, signing?: SignOptions): Bytes {
  if (command !== SUBSCRIBE && command !== UNSUBSCRIBE)
    throw new RpcError('INVALID', `subscription command ${command}: 0 (subscribe) or 1 (unsubscribe)`);
  if (typeof a.key !== 'string' || a.key === '') throw new RpcError('INVALID', 'subscription key is empty');
  // a router drops a node whose address is empty or longer than 255 bytes
  if (typeof a.address !== 'string' || a.address === '' || utf8Length(a.address) > MAX_ADDRESS) {
    throw new RpcError('INVALID', `subscription address ${JSON.stringify(a.address)}: 1..${MAX_ADDRESS} bytes`);
  }
  const pairs: [string, string | Bytes][] = [
    ['key', a.key],
    ['address', a.address],
    ['modifier1', number(a.modifier1, 'modifier1', 255)],
    ['modifier2', number(a.modifier2, 'modifier2', 255)],
    ['cores', number(a.cores, 'cores')],
    ['load', number(a.load, 'load')],
    ['weight', number(a.weight, 'weight')],
  ];
  if (a.sniKey !== undefined) pairs.push(['sni_key', a.sniKey]);
  if (a.sniCrt !== undefined) pairs.push(['sni_crt', a.sniCrt]);
  if (a.sniCa !== undefined) pairs.push(['sni_ca', a.sniCa]);
  if (a.notify !== undefined) pairs.push(['notify', a.notify]);
  if (signing !== undefined) {
    // An unsubscribe carries a later timestamp than the last subscribe of the same second.
    pairs.push(['unix', number(Math.floor(signing.now) + command, 'unix')]);
    pairs.push(['sign', signing.sign(codec.encodeVars(pairs))]);
  }
  const body = codec.encodeVars(pairs);
  const packet = new Uint8Array(4 + body.length);
  packet.set(codec.encodeHeader(SUBSCRIPTION_MODIFIER1, body.length, command), 0);
  packet.set(body, 4);
  if (packet.length > MAX_SUBSCRIPTION_PACKET) {
    throw new RpcError(
      'TOO_LARGE',
      `subscription packet of ${packet.length} bytes: uWSGI reads at most ${MAX_SUBSCRIPTION_PACKET}`,
    );
  }
  return packet;
}

export interface DecodedSubscription {
  command: number;
  /** Every key as text but `sign`, in packet order (unknown keys included). */
  fields: [string, string][];
  /** The signature and the bytes it covers, when the packet is signed. */
  sign?: { signature: Bytes; base: Bytes };
}

/** Reads a subscription datagram (ours or uWSGI's). */
export function decodeSubscription(packet: Bytes): DecodedSubscription {
  const h = codec.decodeHeader(packet);
  if (h.modifier1 !== SUBSCRIPTION_MODIFIER1)
    throw new RpcError('MALFORMED', `modifier1 ${h.modifier1}: a subscription packet has ${SUBSCRIPTION_MODIFIER1}`);
  const body = packet.subarray(4);
  if (h.datasize !== body.length)
    throw new RpcError('MALFORMED', `datasize ${h.datasize}, ${body.length} bytes follow`);
  const fields: [string, string][] = [];
  let sign: DecodedSubscription['sign'];
  let end = 0;
  for (const [k, v] of codec.decodeVars(body)) {
    const key = utf8(k);
    // uWSGI verifies the body up to the sign pair, which must be the last one
    if (key === 'sign') sign = { signature: v, base: body.subarray(0, end) };
    else fields.push([key, utf8(v)]);
    end += 4 + k.length + v.length;
  }
  return { command: h.modifier2, fields, sign };
}

function number(n: number, what: string, max = Number.MAX_SAFE_INTEGER): string {
  if (!Number.isSafeInteger(n) || n < 0 || n > max) throw new RpcError('INVALID', `${what} ${n}: an integer 0..${max}`);
  return String(n);
}
