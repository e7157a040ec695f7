// Subscription datagrams: ours against what a real uWSGI node sends (captured live on a UDP
// socket of the test), signatures checked with the public key, and --subscribe-to parsing.
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { type Socket, createSocket } from 'node:dgram';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SUBSCRIBE,
  UNSUBSCRIBE,
  decodeSubscription,
  encodeSubscription,
  parseKeyFile,
  parseSubscribe2,
  parseSubscribeTo,
} from '../../src/subscription/index.js';
import { RpcError } from '../../src/rpc-error.js';
import { requirePeer, which } from '../helpers/peers.js';
import { freePort, type Peer, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';
import { eventually } from '../helpers/router-stats.js';

const PLUGIN_DIR = '/usr/lib/uwsgi/plugins';
const FIXTURES = join(import.meta.dirname, '../interop/fixtures');

const base = {
  key: '10.0.0.1:3060',
  address: '10.0.0.2:3031',
  modifier1: 0,
  modifier2: 0,
  cores: 2,
  load: 0,
  weight: 2,
};

describe('subscription packets', () => {
  it("are a vars packet with modifier1 224 and the command as modifier2, keys in uWSGI's order", () => {
    for (const command of [SUBSCRIBE, UNSUBSCRIBE]) {
      const p = encodeSubscription(base, command);
      expect([p[0], p[3]]).toEqual([224, command]);
      expect(p[1] | (p[2] << 8)).toBe(p.length - 4);
      const d = decodeSubscription(p);
      expect(d.command).toBe(command);
      expect(d.fields).toEqual([
        ['key', '10.0.0.1:3060'],
        ['address', '10.0.0.2:3031'],
        ['modifier1', '0'],
        ['modifier2', '0'],
        ['cores', '2'],
        ['load', '0'],
        ['weight', '2'],
      ]);
      expect(d.sign).toBeUndefined();
    }
  });

  it('sign the body up to the unix timestamp, with the sign pair last (what the router verifies)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const p = encodeSubscription(base, UNSUBSCRIBE, {
      now: 1_700_000_000.7,
      sign: (b) => sign('sha256', b, privateKey),
    });
    const d = decodeSubscription(p);
    // an unsubscribe is one second later than a subscribe of the same second (the router refuses replays)
    expect(d.fields.at(-1)).toEqual(['unix', '1700000001']);
    expect(d.sign).toBeDefined();
    expect(verify('sha256', d.sign!.base, publicKey, d.sign!.signature)).toBe(true);
    // the signed bytes are the body minus the trailing sign pair: uWSGI's len - 4 - (2 + 4 + 2 + siglen)
    expect(d.sign!.base.length).toBe(p.length - 4 - (2 + 4 + 2 + d.sign!.signature.length));
    const tampered = p.slice();
    tampered[12] ^= 1; // inside the key's value
    const t = decodeSubscription(tampered);
    expect(verify('sha256', t.sign!.base, publicKey, t.sign!.signature)).toBe(false);
  });

  it('refuse what a router would drop or cut', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err instanceof RpcError ? err.code : String(err);
      }
      return 'no error';
    };
    expect(code(() => encodeSubscription({ ...base, address: '' }, 0))).toBe('INVALID');
    expect(code(() => encodeSubscription({ ...base, address: 'x'.repeat(256) }, 0))).toBe('INVALID');
    expect(code(() => encodeSubscription({ ...base, key: '' }, 0))).toBe('INVALID');
    expect(code(() => encodeSubscription({ ...base, weight: -1 }, 0))).toBe('INVALID');
    expect(code(() => encodeSubscription({ ...base, modifier1: 256 }, 0))).toBe('INVALID');
    expect(code(() => encodeSubscription(base, 2))).toBe('INVALID');
    expect(code(() => encodeSubscription({ ...base, key: 'k'.repeat(4100) }, 0))).toBe('TOO_LARGE');
    expect(code(() => decodeSubscription(Uint8Array.of(173, 0, 0, 0)))).toBe('MALFORMED');
    expect(code(() => decodeSubscription(Uint8Array.of(224, 5, 0, 0, 1)))).toBe('MALFORMED');
  });
});

describe('--subscribe-to values', () => {
  it('read as uWSGI reads them: the key keeps its colons and ends at the first comma', () => {
    expect(parseSubscribeTo('10.0.0.1:7000:10.0.0.1:3060')).toMatchObject({
      server: '10.0.0.1:7000',
      key: { name: '10.0.0.1:3060' },
      modifier1: 0,
      sign: undefined,
      address: undefined,
    });
    expect(parseSubscribeTo('127.0.0.1:7000:rpc.example.com,173')).toMatchObject({
      key: { name: 'rpc.example.com' },
      modifier1: 173,
    });
    expect(parseSubscribeTo('127.0.0.1:7000:k,0,sha1:/etc/keys/node.pem')).toMatchObject({
      modifier1: 0,
      sign: { digest: 'sha1', keyFile: '/etc/keys/node.pem' },
    });
    expect(parseSubscribeTo('10.0.0.9:3031=10.0.0.1:7000:k')).toMatchObject({
      address: '10.0.0.9:3031',
      server: '10.0.0.1:7000',
    });
    expect(parseSubscribeTo('[::1]:7000:k')).toMatchObject({ server: '[::1]:7000', key: { name: 'k' } });
    expect(parseSubscribeTo('router.local:7000:@/etc/keys.txt')).toMatchObject({
      server: 'router.local:7000',
      key: { file: '/etc/keys.txt' },
    });
  });

  it('say what is wrong', () => {
    const message = (s: string) => {
      try {
        parseSubscribeTo(s);
      } catch (err) {
        expect((err as RpcError).code).toBe('INVALID');
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(message('127.0.0.1:7000')).toMatch(/no key/);
    expect(message('127.0.0.1')).toMatch(/no port/);
    expect(message('127.0.0.1:x:k')).toMatch(/bad port/);
    expect(message('127.0.0.1:7000:')).toMatch(/empty key/);
    expect(message('127.0.0.1:7000:k,300')).toMatch(/modifier1/);
    expect(message('127.0.0.1:7000:k,0,sha1')).toMatch(/DIGEST:KEYFILE/);
    expect(message('/run/sub.sock:k')).toMatch(/unix datagram/);
    expect(message('=1=127.0.0.1:7000:k')).toMatch(/empty address|numbered/);
    expect(message('[::1:7000:k')).toMatch(/IPv6/);
  });

  it("--subscribe2 key=value lists, as uWSGI's kvlist (\\, keeps a comma)", () => {
    expect(
      parseSubscribe2(
        'server=10.0.0.1:7000,key=rpc.example,addr=10.0.0.9:3031,weight=7,modifier1=5,modifier2=3,check=/run/maint,sni_key=/k\\,1.pem',
      ),
    ).toMatchObject({
      server: '10.0.0.1:7000',
      key: { name: 'rpc.example' },
      address: '10.0.0.9:3031',
      weight: 7,
      modifier1: 5,
      modifier2: 3,
      check: '/run/maint',
      sni: { key: '/k,1.pem' },
    });
    expect(parseSubscribe2('server=10.0.0.1:7000,key=k,socket=1,sign=sha256:/etc/node.pem')).toMatchObject({
      socket: 1,
      sign: { digest: 'sha256', keyFile: '/etc/node.pem' },
    });
    for (const [bad, why] of [
      ['key=k', /no server/],
      ['server=10.0.0.1:7000', /no key/],
      ['server=10.0.0.1:7000,key=k,proto=x', /unknown key "proto"/],
      ['server=10.0.0.1:7000,key=k,weight=x', /weight/],
      ['server=10.0.0.1:7000,key=k,modifier2=256', /modifier2/],
      ['server=10.0.0.1:7000,key=@f', /--subscribe-to only/],
      ['server=10.0.0.1:7000,key', /not key=value/],
    ] as const) {
      expect(() => parseSubscribe2(bad), bad).toThrow(why);
    }
  });

  it('key files: KEY[,MODIFIER1] lines, comments skipped, bad lines told apart', () => {
    expect(parseKeyFile('# pools\na.example\n\nb.example,173\nc.example,x\n')).toEqual({
      keys: [
        { key: 'a.example', modifier1: 0 },
        { key: 'b.example', modifier1: 173 },
      ],
      bad: ['c.example,x'],
    });
  });
});

const hasUwsgi = requirePeer(
  'uwsgi with the python3 and rpc plugins',
  which('uwsgi') !== null &&
    existsSync(join(PLUGIN_DIR, 'python3_plugin.so')) &&
    existsSync(join(PLUGIN_DIR, 'rpc_plugin.so')),
  'apt-get install uwsgi-core uwsgi-plugin-python3',
);
const hasOpenssl = requirePeer('openssl', which('openssl') !== null, 'apt-get install openssl');

describe.skipIf(!hasUwsgi || !hasOpenssl)('the same bytes as a real uWSGI node', () => {
  let dir: string;
  let udp: Socket;
  let port: number;
  const received: Buffer[] = [];
  const peers: Peer[] = [];

  beforeAll(async () => {
    dir = tempDir();
    udp = createSocket('udp4');
    udp.on('message', (m) => received.push(m));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    port = udp.address().port;
  });

  afterAll(async () => {
    await Promise.all(peers.map((p) => p.stop()));
    udp.close();
    removeDir(dir);
  });

  /** Starts a uWSGI node subscribing to our UDP socket, stops it (SIGINT: it unsubscribes), returns its datagrams. */
  async function capture(subscription: string, extra: string[]): Promise<Buffer[]> {
    received.length = 0;
    const tcp = `127.0.0.1:${await freePort()}`;
    const peer = await startUwsgi(
      'python3,rpc',
      [
        '--socket',
        tcp,
        '--import',
        join(FIXTURES, 'rpc_functions.py'),
        '--subscribe-to',
        `127.0.0.1:${port}:${subscription}`,
        ...extra,
      ],
      [tcp],
      dir,
    );
    peers.push(peer);
    await eventually(
      'a datagram',
      async () => received.length,
      (n) => n >= 1,
    );
    await peer.stop();
    await eventually(
      'the unsubscribe',
      async () => received.some((m) => m[3] === UNSUBSCRIBE),
      (seen) => seen,
    );
    return [...received];
  }

  it('subscribe and unsubscribe, with --processes 2 --auto-weight', async () => {
    const got = await capture('10.0.0.1:3060', ['--processes', '2', '--auto-weight', 'true']);
    const address = decodeSubscription(got[0]).fields.find(([k]) => k === 'address')![1];
    const ours = { key: '10.0.0.1:3060', address, modifier1: 0, modifier2: 0, cores: 2, load: 0, weight: 2 };
    expect(Buffer.from(encodeSubscription(ours, SUBSCRIBE)).equals(got[0])).toBe(true);
    expect(Buffer.from(encodeSubscription(ours, UNSUBSCRIBE)).equals(got.find((m) => m[3] === UNSUBSCRIBE)!)).toBe(
      true,
    );
  });

  it("--subscribe2 with modifier2, weight and the SSL router's sni files", async () => {
    received.length = 0;
    const tcp = `127.0.0.1:${await freePort()}`;
    const peer = await startUwsgi(
      'python3,rpc',
      [
        '--socket',
        tcp,
        '--import',
        join(FIXTURES, 'rpc_functions.py'),
        '--subscribe2',
        `server=127.0.0.1:${port},key=rpc.example,modifier1=5,modifier2=3,weight=7,sni_key=/etc/k.pem,sni_crt=/etc/c.pem,sni_ca=/etc/ca.pem`,
      ],
      [tcp],
      dir,
    );
    peers.push(peer);
    await eventually(
      'a datagram',
      async () => received.length,
      (n) => n >= 1,
    );
    await peer.stop();
    const ours = {
      key: 'rpc.example',
      address: tcp,
      modifier1: 5,
      modifier2: 3,
      cores: 1,
      load: 0,
      weight: 7,
      sniKey: '/etc/k.pem',
      sniCrt: '/etc/c.pem',
      sniCa: '/etc/ca.pem',
    };
    expect(Buffer.from(encodeSubscription(ours, SUBSCRIBE)).equals(received[0])).toBe(true);
  });

  it('with a modifier1 and a signature our decoder reads and the public key verifies', async () => {
    const key = join(dir, 'node.pem');
    execFileSync('openssl', ['genrsa', '-out', key, '1024'], { stdio: 'ignore' });
    const got = await capture(`rpc.example,173,sha1:${key}`, []);
    const d = decodeSubscription(got[0]);
    expect(d.fields.slice(0, 3).map(([k, v]) => `${k}=${v}`)).toEqual([
      'key=rpc.example',
      `address=${d.fields[1][1]}`,
      'modifier1=173',
    ]);
    expect(d.sign).toBeDefined();
    const publicKey = createPublicKey(
      execFileSync('openssl', ['rsa', '-in', key, '-pubout'], { stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    expect(verify('sha1', d.sign!.base, publicKey, d.sign!.signature)).toBe(true);
    // ours, with uWSGI's timestamp and the same key and digest: byte for byte (RSA PKCS#1 v1.5 is deterministic)
    const unix = Number(d.fields.find(([k]) => k === 'unix')![1]);
    const fields = Object.fromEntries(d.fields);
    const ours = encodeSubscription(
      {
        key: 'rpc.example',
        address: fields.address,
        modifier1: 173,
        modifier2: 0,
        cores: Number(fields.cores),
        load: Number(fields.load),
        weight: Number(fields.weight),
      },
      SUBSCRIBE,
      { now: unix, sign: (b) => sign('sha1', b, readFileSync(key)) },
    );
    expect(Buffer.from(ours).equals(got[0])).toBe(true);
  });
});
