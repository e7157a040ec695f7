// `serve --ssl-socket / --suwsgi-socket` and `call suwsgi://... --ca --cert --key`, as a user runs them; SIGHUP
// re-reads the certificate files under load, with --processes 2, without a failed call or a dropped connection.
import { execFile } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TLSSocket, connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodecSync } from '../../src/codec/create.js';
import { RpcClient } from '../../src/index.js';
import { type Served, serveCli } from '../browser/serve-cli.js';
import { type Certs, hasOpenssl, makeCerts } from '../helpers/certs.js';
import { requirePeer } from '../helpers/peers.js';
import { removeDir, tempDir } from '../helpers/processes.js';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'uwsgi-rpc.js');
const FUNCTIONS = join(ROOT, 'examples', 'functions.mjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The address of a ready line `uwsgi-rpc: uwsgi socket over TLS on ADDRESS`. */
const tlsAddress = (line: string): string => line.replace(/^.* over TLS on /, '');

describe.skipIf(!requirePeer('openssl', hasOpenssl(), 'apt-get install openssl'))('TLS from the command line', () => {
  let dir: string;
  let certs: Certs;
  beforeAll(() => {
    dir = tempDir('uwsgi-rpc-tls-cli-');
    certs = makeCerts(dir);
  });
  afterAll(() => removeDir(dir));

  describe('serve --ssl-socket, --suwsgi-socket; call suwsgi://', () => {
    let served: Served;
    let mutual: string;
    let oneWay: string;
    beforeAll(async () => {
      served = await serveCli(
        [
          '--import',
          FUNCTIONS,
          '--ssl-socket',
          `127.0.0.1:0,${certs.server.cert},${certs.server.key},,!${certs.ca}`,
          '--suwsgi-socket',
          `127.0.0.1:0,${certs.server.cert},${certs.server.key},ECDHE-ECDSA-AES128-GCM-SHA256`,
        ],
        2,
      );
      [mutual, oneWay] = served.lines.map(tlsAddress);
    });
    afterAll(() => served?.stop());

    it('prints one ready line per TLS socket', () => {
      expect(served.lines).toEqual([
        expect.stringMatching(/^uwsgi-rpc: uwsgi socket over TLS on 127\.0\.0\.1:\d+$/),
        expect.stringMatching(/^uwsgi-rpc: uwsgi socket over TLS on 127\.0\.0\.1:\d+$/),
      ]);
    });

    it('call with --ca --cert --key: the result on stdout', async () => {
      const r = await cli([
        'call',
        `suwsgi://${mutual}`,
        'echo',
        'a',
        'b',
        '--ca',
        certs.ca,
        '--cert',
        certs.client.cert,
        '--key',
        certs.client.key,
      ]);
      expect(r).toMatchObject({ code: 0, stdout: 'a|b' });
      const one = await cli(['call', '--ca', certs.ca, `suwsgi://${oneWay}`, 'upper', 'tls']);
      expect(one).toMatchObject({ code: 0, stdout: 'TLS' });
    });

    it('a node whose certificate does not verify: exit 1, TLS and the reason', async () => {
      const r = await cli(['call', `suwsgi://${oneWay}`, 'echo', 'a']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^uwsgi-rpc: TLS: suwsgi:\/\/127\.0\.0\.1:\d+: TLS: .*verify/);
    });

    it('no client certificate for a socket with a CA: refused, one line in the log', async () => {
      const before = served.stderr().split('\n').length;
      const r = await cli(['call', '--ca', certs.ca, `suwsgi://${mutual}`, 'echo', 'a']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^uwsgi-rpc: TLS: .*certificate required/);
      await new Promise((res) => setTimeout(res, 100));
      const lines = served
        .stderr()
        .split('\n')
        .slice(before - 1)
        .filter(Boolean);
      expect(lines).toEqual([expect.stringMatching(/refused on .*: no client certificate/)]);
    });

    it('usage errors: bad syntax, an unreadable file, --cert without --key', async () => {
      const syntax = await cli(['serve', '--ssl-socket', '127.0.0.1:0,only-a-cert']);
      expect(syntax.code).toBe(2);
      expect(syntax.stderr).toContain('ADDRESS,CERT,KEY[,CIPHERS[,CA]]');
      const bang = await cli(['serve', '--ssl-socket', `127.0.0.1:0,${certs.server.cert},${certs.server.key},,!`]);
      expect(bang.code).toBe(2);
      expect(bang.stderr).toContain("a CA file goes after the '!'");
      const missing = await cli(['serve', '--ssl-socket', `127.0.0.1:0,${join(dir, 'nope.crt')},${certs.server.key}`]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('nope.crt');
      const mismatch = await cli(['serve', '--ssl-socket', `127.0.0.1:0,${certs.server.cert},${certs.client.key}`]);
      expect(mismatch.code).toBe(2);
      expect(mismatch.stderr).toMatch(/--ssl-socket 127\.0\.0\.1:0: TLS: .*key/i);
      const half = await cli(['call', '--cert', certs.client.cert, `suwsgi://${oneWay}`, 'echo']);
      expect(half.code).toBe(2);
      expect(half.stderr).toContain('--cert and --key go together');
    });
  });

  it('ini keys: ssl-socket and https-socket, as uWSGI reads them', async () => {
    const ini = join(dir, 'node.ini');
    writeFileSync(
      ini,
      `[uwsgi]\nssl-socket = 127.0.0.1:0,${certs.server.cert},${certs.server.key},,${certs.ca}\n` +
        `https-socket = 127.0.0.1:0,${certs.server.cert},${certs.server.key}\nimport = ${FUNCTIONS}\n`,
    );
    const served = await serveCli(['--ini', ini], 2);
    try {
      expect(served.lines[0]).toMatch(/uwsgi socket over TLS on /);
      expect(served.lines[1]).toMatch(/https socket on /);
      const r = await cli([
        'call',
        '--ca',
        certs.ca,
        '--cert',
        certs.client.cert,
        '--key',
        certs.client.key,
        `suwsgi://${tlsAddress(served.lines[0])}`,
        'upper',
        'ini',
      ]);
      expect(r).toMatchObject({ code: 0, stdout: 'INI' });
    } finally {
      await served.stop();
    }
  });

  it('SIGHUP re-reads the certificates under load (--processes 2): no failed call, open connections go on', async () => {
    const cert = join(dir, 'live.crt');
    const key = join(dir, 'live.key');
    copyFileSync(certs.server.cert, cert);
    copyFileSync(certs.server.key, key);
    const served = await serveCli(
      ['--import', FUNCTIONS, '--processes', '2', '--ssl-socket', `127.0.0.1:0,${cert},${key},,${certs.ca}`],
      1,
    );
    try {
      const address = tlsAddress(served.lines[0]);
      const node = `suwsgi://${address}`;
      const [port] = address.split(':').slice(-1).map(Number);
      const trust = { ca: [certs.read(certs.ca), certs.read(certs.otherCa)] };
      const tls = { ...trust, cert: certs.read(certs.client.cert), key: certs.read(certs.client.key) };
      /** The CN of the CA that signed the certificate a new connection gets. */
      const issuer = () =>
        new Promise<string>((resolve, reject) => {
          const s: TLSSocket = connect({ host: '127.0.0.1', port, ...tls }, () => {
            const cn = s.getPeerCertificate().issuer.CN;
            s.destroy();
            resolve(String(cn));
          });
          s.on('error', reject);
        });
      expect(await issuer()).toBe('ca');
      // a connection opened before the reload, used after it
      const codec = createCodecSync();
      const early: TLSSocket = await new Promise((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, ...tls }, () => resolve(s));
        s.on('error', reject);
      });
      const kept = new RpcClient({ tls, keepAlive: true, pipelining: 4 });
      const perCall = new RpcClient({ tls });
      let ok = 0;
      const failures: string[] = [];
      let running = true;
      const loop = async (c: RpcClient, i: number) => {
        while (running) {
          try {
            expect(await c.rpcText(node, 'echo', `${i}`, 'x')).toBe(`${i}|x`);
            ok++;
          } catch (err) {
            failures.push(String(err));
          }
        }
      };
      const loops = [0, 1, 2, 3].map((i) => loop(i < 2 ? kept : perCall, i));
      await new Promise((r) => setTimeout(r, 300));
      copyFileSync(certs.server2.cert, cert);
      copyFileSync(certs.server2.key, key);
      const before = ok;
      served.child.kill('SIGHUP');
      for (let i = 0; i < 100 && (served.stderr().match(/TLS certificates and keys reloaded/g) ?? []).length < 2; i++)
        await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      running = false;
      await Promise.all(loops);
      await Promise.all([kept.close(), perCall.close()]);
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(before);
      expect(served.stderr().match(/TLS certificates and keys reloaded/g)).toHaveLength(2);
      // every worker hands out the new certificate
      expect(await Promise.all([issuer(), issuer(), issuer(), issuer()])).toEqual([
        'other-ca',
        'other-ca',
        'other-ca',
        'other-ca',
      ]);
      const answer = await new Promise<string>((resolve, reject) => {
        let got = '';
        early.on('data', (d: Buffer) => {
          got += d.toString('latin1');
          if (got.includes('early|on')) resolve(got);
        });
        early.on('error', reject);
        early.on('close', () => resolve(got));
        early.write(codec.encodeRequest('echo', ['early', 'on']));
      });
      early.destroy();
      expect(answer).toContain('early|on');
    } finally {
      await served.stop();
    }
  });
});
