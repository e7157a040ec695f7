// Our client and our server over TLS: suwsgi:// nodes, client certificates, keep-alive, pipelining, streams,
// fan-out and split; the refusals of issue 18 (no certificate, another CA, expired, plain on TLS, TLS on plain,
// a stalled handshake), each with one log line and no effect on a connection already open.
import { copyFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodecSync } from '../../src/codec/create.js';
import { RpcClient, RpcError, RpcServer } from '../../src/index.js';
import { type Certs, hasOpenssl, makeCerts } from '../helpers/certs.js';
import { requirePeer } from '../helpers/peers.js';
import { removeDir, tempDir } from '../helpers/processes.js';
import { rejection } from '../helpers/rejection.js';
import { type Started, startServer } from '../server/start.js';

const SOCKET_TIMEOUT = 400;

describe.skipIf(!requirePeer('openssl', hasOpenssl(), 'apt-get install openssl'))('TLS: our client, our server', () => {
  let dir: string;
  let certs: Certs;
  let s: Started;
  /** suwsgi://: client certificates required (CA given). */
  let mutual: string;
  /** suwsgi://: server certificate only. */
  let oneWay: string;
  let ca: string;
  let client: { cert: string; key: string };

  beforeAll(async () => {
    dir = tempDir('uwsgi-rpc-tls-');
    certs = makeCerts(dir);
    ca = certs.read(certs.ca);
    client = { cert: certs.read(certs.client.cert), key: certs.read(certs.client.key) };
    s = await startServer(
      {
        hello: (name) => `hello ${new TextDecoder().decode(name)}`,
        slow: async (ms) => {
          await new Promise((r) => setTimeout(r, Number(new TextDecoder().decode(ms))));
          return 'late';
        },
        big: (n) => 'x'.repeat(Number(new TextDecoder().decode(n))),
      },
      { socketTimeout: SOCKET_TIMEOUT },
    );
    const tls = { cert: certs.server.cert, key: certs.server.key };
    mutual = `suwsgi://${await s.server.listen('127.0.0.1:0', { tls: { ...tls, ca: certs.ca } })}`;
    oneWay = `suwsgi://${await s.server.listen('127.0.0.1:0', { tls })}`;
  });
  afterAll(async () => {
    try {
      await s?.server.close();
    } finally {
      if (dir) removeDir(dir);
    }
  });

  /** The log lines written while `f` runs. */
  async function logged(f: () => Promise<unknown>): Promise<string[]> {
    const from = s.logs.length;
    await f();
    // the server's side of a refusal may be a turn behind the client's
    await new Promise((r) => setTimeout(r, 50));
    return s.logs.slice(from);
  }

  it('calls a node with a client certificate, per call and kept alive', async () => {
    await using perCall = new RpcClient({ tls: { ca, ...client } });
    expect(await perCall.rpcText(mutual, 'hello', 'tls')).toBe('hello tls');
    await using kept = new RpcClient({ tls: { ca, ...client }, keepAlive: true, pipelining: 8, maxSockets: 1 });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => kept.rpcText(mutual, 'hello', `${i}`)));
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => `hello ${i}`));
    expect(kept.nodeBehaviour(mutual)).toBe('keeps');
    expect(await kept.rpcText(mutual, 'big', '60000')).toHaveLength(60000);
  });

  it('pipelines over one TLS connection: answers in order behind a slow call', async () => {
    await using kept = new RpcClient({ tls: { ca, ...client }, keepAlive: true, pipelining: 4, maxSockets: 1 });
    await kept.rpcText(mutual, 'hello', 'warm');
    await new Promise((r) => setTimeout(r, 150)); // past the probation: the node keeps connections
    const before = s.server.connectionCount;
    const [slow, fast] = await Promise.all([kept.rpcText(mutual, 'slow', '100'), kept.rpcText(mutual, 'hello', 'b')]);
    expect([slow, fast]).toEqual(['late', 'hello b']);
    expect(s.server.connectionCount).toBe(before);
  });

  it('streams, fans out and splits over TLS nodes', async () => {
    await using c = new RpcClient({ tls: { ca, ...client } });
    const chunks: Uint8Array[] = [];
    for await (const chunk of c.stream(mutual, 'big', ['70000'])) chunks.push(chunk);
    expect(chunks.reduce((n, x) => n + x.length, 0)).toBe(70000);
    const fan = await c.fanout([mutual, oneWay], 'hello', ['f']);
    expect(fan.map((r) => (r.ok ? new TextDecoder().decode(r.value) : r.error.code))).toEqual(['hello f', 'hello f']);
    const split = await c.split(
      [mutual, oneWay],
      Array.from({ length: 6 }, (_, i) => ({ name: 'hello', args: [`${i}`] })),
    );
    expect(split.every((r) => r.ok)).toBe(true);
  });

  it('a client that ends its side after the request still gets the answer, as on the plain socket', async () => {
    const [host, port] = oneWay.slice('suwsgi://'.length).split(':');
    const got = await new Promise<string>((resolve, reject) => {
      const c = tlsConnect({ host, port: Number(port), ca }, () => {
        c.write(createCodecSync().encodeRequest('slow', ['50']));
        c.end();
      });
      let out = '';
      c.on('data', (d: Buffer) => {
        out += d.toString('latin1');
      });
      c.on('close', () => resolve(out));
      c.on('error', reject);
    });
    expect(got.endsWith('late')).toBe(true);
  });

  it('nodeTls makes a host:port node a TLS node with settings of its own', async () => {
    const plainForm = mutual.slice('suwsgi://'.length);
    await using c = new RpcClient({ nodeTls: { [plainForm]: { ca, ...client } } });
    expect(await c.rpcText(plainForm, 'hello', 'n')).toBe('hello n');
  });

  it("refuses a node whose certificate does not verify, or is not for the node's name: TLS with the reason", async () => {
    await using noCa = new RpcClient();
    const e1 = await rejection(noCa.rpc(oneWay, 'hello', 'x'));
    expect(e1).toBeInstanceOf(RpcError);
    expect((e1 as RpcError).code).toBe('TLS');
    expect((e1 as RpcError).message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/);
    await using wrongName = new RpcClient({ tls: { ca, servername: 'elsewhere.example' } });
    const e2 = (await rejection(wrongName.rpc(oneWay, 'hello', 'x'))) as RpcError;
    expect(e2.code).toBe('TLS');
    expect(e2.message).toContain('elsewhere.example');
  });

  it('rejectUnauthorized: false calls a node whose certificate it cannot check', async () => {
    await using c = new RpcClient({ tls: { rejectUnauthorized: false } });
    expect(await c.rpcText(oneWay, 'hello', 'anyway')).toBe('hello anyway');
  });

  it('bad TLS settings: INVALID when the client is made, TLS (nothing sent) for PEM that does not load', async () => {
    for (const options of [
      { tls: { cert: client.cert } },
      { tls: { ca: 42 as unknown as string } },
      { tls: { rejectUnauthorized: 'no' as unknown as boolean } },
      { nodeTls: { '/tmp/x.sock': { ca } } },
    ]) {
      let err: unknown;
      try {
        new RpcClient(options);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(options)).toBeInstanceOf(RpcError);
      expect((err as RpcError).code).toBe('INVALID');
    }
    await using c = new RpcClient({ tls: { ca, cert: 'not a PEM', key: 'not a PEM' } });
    const err = await rejection(c.rpc(oneWay, 'hello', 'x'));
    expect(err.code).toBe('TLS');
    expect(err.message).toContain('cannot load the TLS settings');
  });

  it('listen() refuses TLS files that do not load: INVALID with the reason', async () => {
    const bad = [
      { cert: certs.server.cert, key: certs.client.key },
      { cert: `${dir}/missing.crt`, key: certs.server.key },
      { cert: certs.server.cert, key: certs.server.key, ciphers: 'NO-SUCH-CIPHER' },
    ];
    for (const tls of bad) {
      const err = await rejection(s.server.listen('127.0.0.1:0', { tls }));
      expect(err.code, JSON.stringify(tls)).toBe('INVALID');
    }
  });

  describe('refusals: one log line each, a connection already open goes on', () => {
    let witness: RpcClient;
    beforeAll(async () => {
      witness = new RpcClient({ tls: { ca, ...client }, keepAlive: true, idleTimeout: 60_000 });
      await witness.rpcText(mutual, 'hello', 'w');
    });
    afterAll(() => witness.close());

    /** The witness's kept connection still answers, and no other connection was opened for it. */
    async function witnessGoesOn(): Promise<void> {
      expect(await witness.rpcText(mutual, 'hello', 'still')).toBe('hello still');
    }

    // No certificate: refused inside the handshake, with an alert (TLS and its reason here). A certificate that does
    // not verify: Node's server closes after the handshake without an alert, so the client learns only that no answer
    // came (NO_ANSWER, naming the possibility); the node's log line has the reason.
    it.each([
      ['no client certificate', () => ({ ca }), 'TLS', /certificate required/, /no client certificate/],
      [
        'a certificate from another CA',
        () => ({ ca, cert: certs.read(certs.stranger.cert), key: certs.read(certs.stranger.key) }),
        'NO_ANSWER',
        /refused this client's certificate/,
        /client certificate refused: UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
      ],
      [
        'an expired certificate',
        () => ({ ca, cert: certs.read(certs.expired.cert), key: certs.read(certs.expired.key) }),
        'NO_ANSWER',
        /refused this client's certificate/,
        /client certificate refused: CERT_HAS_EXPIRED/,
      ],
    ])('%s', async (_, tls, code, message, line) => {
      let err: unknown;
      const lines = await logged(async () => {
        await using c = new RpcClient({ tls: tls() });
        err = await rejection(c.rpc(mutual, 'hello', 'x'));
      });
      expect(err).toBeInstanceOf(RpcError);
      expect((err as RpcError).code).toBe(code);
      expect((err as RpcError).message).toMatch(message);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(line);
      expect(lines[0]).toContain(`refused on ${mutual.slice('suwsgi://'.length)}`);
      await witnessGoesOn();
    });

    it('a plain-text client on the TLS socket', async () => {
      let err: unknown;
      const plainForm = oneWay.slice('suwsgi://'.length);
      const lines = await logged(async () => {
        await using c = new RpcClient();
        err = await rejection(c.rpc(plainForm, 'hello', 'x'));
      });
      expect((err as RpcError).code).toBe('NO_ANSWER');
      expect(lines).toHaveLength(1);
      // OpenSSL's reason varies with its version (3.0: wrong version number)
      expect(lines[0]).toMatch(/refused on .*: TLS handshake failed: \S/);
      await witnessGoesOn();
    });

    it('a TLS client on the plain socket', async () => {
      let err: unknown;
      const lines = await logged(async () => {
        await using c = new RpcClient({ tls: { ca } });
        err = await rejection(c.rpc(`suwsgi://${s.address}`, 'hello', 'x'));
      });
      expect((err as RpcError).code).toBe('TLS');
      expect((err as RpcError).message).toMatch(/closed during the handshake \(is it a TLS socket/);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/a TLS handshake on a plain socket .*: connection closed without an answer/);
      await witnessGoesOn();
    });

    it('a TCP connection that leaves without a byte (a health check) is no refusal: no log line', async () => {
      const lines = await logged(async () => {
        const raw = connect(Number(oneWay.split(':').at(-1)), '127.0.0.1');
        raw.on('connect', () => raw.end());
        await new Promise<void>((resolve) => raw.on('close', () => resolve()));
      });
      expect(lines).toEqual([]);
    });

    it('a stalled handshake is cut by socket-timeout', async () => {
      const lines = await logged(async () => {
        const raw = connect(Number(oneWay.split(':').at(-1)), '127.0.0.1');
        // a TLS record header and nothing more: the handshake never ends
        raw.on('connect', () => raw.write(Uint8Array.of(0x16, 0x03, 0x01, 0x01, 0x00)));
        await new Promise<void>((resolve) => raw.on('close', () => resolve()));
      });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`no TLS handshake within ${SOCKET_TIMEOUT} ms (socket-timeout)`);
      await witnessGoesOn();
    });
  });

  it('reloadTls(): new handshakes get the new files, an open connection goes on; files that do not load leave the old ones', async () => {
    const cert = `${dir}/reload.crt`;
    const key = `${dir}/reload.key`;
    copyFileSync(certs.server.cert, cert);
    copyFileSync(certs.server.key, key);
    const address = await s.server.listen('127.0.0.1:0', { tls: { cert, key } });
    const node = `suwsgi://${address}`;
    await using kept = new RpcClient({ tls: { ca }, keepAlive: true, idleTimeout: 60_000 });
    expect(await kept.rpcText(node, 'hello', '1')).toBe('hello 1');
    await new Promise((r) => setTimeout(r, 150)); // past the probation: the connection is reused
    expect(kept.nodeBehaviour(node)).toBe('keeps');
    copyFileSync(certs.server2.cert, cert);
    copyFileSync(certs.server2.key, key);
    s.server.reloadTls();
    // the kept connection was made with the old certificate and goes on
    expect(await kept.rpcText(node, 'hello', '2')).toBe('hello 2');
    await using oldCa = new RpcClient({ tls: { ca } });
    expect((await rejection(oldCa.rpc(node, 'hello', '3'))).code).toBe('TLS');
    await using newCa = new RpcClient({ tls: { ca: certs.read(certs.otherCa) } });
    expect(await newCa.rpcText(node, 'hello', '4')).toBe('hello 4');
    writeFileSync(cert, 'garbage');
    const from = s.logs.length;
    expect(() => s.server.reloadTls()).toThrow(RpcError);
    expect(s.logs.slice(from)).toEqual([expect.stringMatching(/TLS files not reloaded, the old ones stay/)]);
    await using again = new RpcClient({ tls: { ca: certs.read(certs.otherCa) } });
    expect(await again.rpcText(node, 'hello', '5')).toBe('hello 5');
  });

  it('close() does not wait for a connection still in its handshake (socket-timeout 0: it would wait for ever)', async () => {
    const server = new RpcServer({ socketTimeout: 0, log: () => {} });
    const address = await server.listen('127.0.0.1:0', { tls: { cert: certs.server.cert, key: certs.server.key } });
    const raw = connect(Number(address.split(':')[1]), '127.0.0.1');
    const gone = new Promise<void>((resolve) => raw.on('close', () => resolve()));
    await new Promise((r) => raw.on('connect', r));
    await server.close();
    await gone;
  });
});
