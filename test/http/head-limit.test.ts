// --http-socket: the request line and headers are bounded by --buffer-size (as uWSGI bounds
// its HTTP request head), not by node:http's own 16 KB. What uWSGI does instead of our 431
// is recorded against the real one.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeer, which } from '../helpers/peers.js';
import { type Peer, freePort, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';
import { readAnswer } from './compare.js';
import { type Ours, buildOnce, serveOurs } from './our-cli.js';
import { rawExchange } from './raw-http.js';

const PY = join(__dirname, 'fixtures', 'rpc_funcs.py');
const MJS = join(__dirname, 'fixtures', 'rpc_funcs.mjs');
/** Every request goes to the PATH_INFO bridge: GET /hello calls hello(). */
const BRIDGE = ['--http-socket-modifier1', '173', '--http-socket-modifier2', '2'];

/** GET /hello whose head (request line, headers, blank line) is `size` bytes, padded by X-Pad headers of at most 1000 bytes each. */
function headOf(size: number): string {
  const start = 'GET /hello HTTP/1.0\r\nHost: test.local\r\n';
  const end = '\r\n';
  const lines: string[] = [];
  let left = size - start.length - end.length;
  for (let i = 0; left > 0; i++) {
    const name = `X-Pad-${String(i).padStart(3, '0')}: `;
    const take = Math.min(left, 1000 + name.length + 2);
    if (take < name.length + 2 + 1) throw new Error(`cannot pad a head to ${size} bytes`);
    lines.push(`${name}${'a'.repeat(take - name.length - 2)}\r\n`);
    left -= take;
  }
  const head = start + lines.join('') + end;
  if (head.length !== size) throw new Error(`head of ${head.length} bytes, not ${size}`);
  return head;
}

const TWENTY_KB = headOf(20_000);

describe('--http-socket: the request head follows --buffer-size', () => {
  let byDefault: Ours;
  let small: Ours;
  const address = { byDefault: '', small: '' };

  beforeAll(async () => {
    buildOnce();
    address.byDefault = `127.0.0.1:${await freePort()}`;
    address.small = `127.0.0.1:${await freePort()}`;
    byDefault = await serveOurs(['--http-socket', address.byDefault, ...BRIDGE, '--import', MJS], 1);
    small = await serveOurs(['--http-socket', address.small, ...BRIDGE, '--import', MJS, '--buffer-size', '8192'], 1);
  }, 60_000);

  afterAll(async () => {
    expect(await byDefault?.stop()).toBe(0);
    expect(await small?.stop()).toBe(0);
  });

  it("~20 KB of headers (over node:http's 16 KB) are answered with the default --buffer-size (65535)", async () => {
    const a = readAnswer(await rawExchange(address.byDefault, TWENTY_KB));
    expect(a?.status).toBe('200 OK');
    expect(a?.body).toBe('Hello World');
  });

  it('with --buffer-size 8192 they get 431, and the server logs one line saying why', async () => {
    const a = readAnswer(await rawExchange(address.small, TWENTY_KB));
    expect(a?.status).toBe('431 Request Header Fields Too Large');
    for (let i = 0; i < 100 && !small.stderr().includes('buffer-size'); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(small.stderr().match(/buffer-size: an HTTP request head larger than 8192 bytes: 431\n/g)).toHaveLength(1);
  });

  it('a head just under --buffer-size passes (8191 bytes with 8192), as does one of 65535 by default', async () => {
    const a = readAnswer(await rawExchange(address.small, headOf(8191)));
    expect(a?.status).toBe('200 OK');
    expect(a?.body).toBe('Hello World');
    expect(readAnswer(await rawExchange(address.byDefault, headOf(65_535)))?.status).toBe('200 OK');
  });
});

describe.runIf(requirePeer('uwsgi', which('uwsgi') !== null, 'apt-get install uwsgi-core uwsgi-plugin-python3'))(
  "uWSGI's --http-socket with --buffer-size 8192, for comparison",
  () => {
    let dir: string;
    let uwsgi: Peer | undefined;
    let address: string;

    beforeAll(async () => {
      dir = tempDir();
      address = `127.0.0.1:${await freePort()}`;
      // the later --buffer-size wins over startUwsgi's 65535
      uwsgi = await startUwsgi(
        'python3,rpc',
        ['--buffer-size', '8192', '--http-socket', address, ...BRIDGE, '--import', PY],
        [address],
        dir,
      );
    }, 60_000);

    afterAll(async () => {
      await uwsgi?.stop();
      removeDir(dir);
    });

    it('~20 KB of headers: uWSGI closes the connection without an answer (ours: 431)', async () => {
      expect(readAnswer(await rawExchange(address, TWENTY_KB)), uwsgi?.logText().slice(-500)).toBeNull();
      expect(uwsgi?.logText()).toMatch(/invalid HTTP request size \(max 8192\)/);
    });

    it('a head under 8192 bytes whose vars do not fit: uWSGI closes without an answer (ours answers)', async () => {
      expect(readAnswer(await rawExchange(address, headOf(8191)))).toBeNull();
      expect(uwsgi?.logText()).toMatch(/consider (increasing buffer size|tuning it with --buffer-size)/);
      expect(readAnswer(await rawExchange(address, headOf(4000)))?.body).toBe('Hello World');
    });
  },
);
