#!/usr/bin/env node
// Captures golden uwsgi-protocol byte vectors from a REAL uWSGI 2.0 and a REAL
// nginx, and writes them (plus vectors.json) next to this file.
//
//   node test/vectors/capture.mjs
//
// Needs: `uwsgi` with the python3 and rpc plugins (Debian: uwsgi-core,
// uwsgi-plugin-python3) and `nginx` (Debian: nginx-light) on PATH.
// No npm dependencies. Everything binds 127.0.0.1 on free ports; every process
// started here is stopped in `finally` (uWSGI with SIGINT, nginx with SIGQUIT).
//
// Only bytes produced by uWSGI or nginx are stored as vectors. Every vector is
// decoded with the tiny independent decoder below and cross-checked against
// what was asked for; any mismatch aborts the capture (nothing is written).

import net from 'node:net';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT_DIR = HERE;
const APP_PY = path.join(HERE, 'uwsgi_app.py');
const STEP_TIMEOUT_MS = 15000;
const BIG_LEN = 70000;

// ---------------------------------------------------------------- helpers

const hex = (b) => Buffer.from(b).toString('hex');
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fail(msg) {
  throw new Error(`capture check failed: ${msg}`);
}
function assertEq(actual, expected, what) {
  const a = Buffer.isBuffer(actual) ? hex(actual) : JSON.stringify(actual);
  const e = Buffer.isBuffer(expected) ? hex(expected) : JSON.stringify(expected);
  if (a !== e) fail(`${what}: expected ${e.slice(0, 400)} got ${a.slice(0, 400)}`);
}

function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([
    promise,
    new Promise((_, rej) => {
      t = setTimeout(() => rej(new Error(`timeout after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/** Wait until something accepts TCP connections on 127.0.0.1:port. */
async function waitPort(port, child, what, ms = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child && child.exitCode !== null) fail(`${what} exited early (code ${child.exitCode})`);
    const ok = await new Promise((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port });
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) fail(`${what} not listening on ${port} after ${ms} ms`);
    await sleep(100);
  }
}

/** Connect, send `data`, collect everything until the peer closes (EOF). */
function exchange(port, data, what) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const chunks = [];
      const c = net.connect({ host: '127.0.0.1', port }, () => c.write(data));
      c.on('data', (d) => chunks.push(d));
      c.on('error', reject);
      c.on('close', () => resolve(Buffer.concat(chunks)));
    }),
    STEP_TIMEOUT_MS,
    what,
  );
}

/**
 * A Node TCP listener that records every byte each connection sends until the
 * peer closes. As soon as one complete uwsgi packet (4 + datasize bytes) has
 * arrived, it writes reply(packetBytes, index) and ends its side.
 */
async function recordingListener(reply) {
  const conns = [];
  const waiters = [];
  const server = net.createServer((sock) => {
    const idx = conns.length;
    const rec = { chunks: [], done: null };
    conns.push(rec);
    let replied = false;
    rec.done = new Promise((resolve) => {
      sock.on('data', (d) => {
        rec.chunks.push(d);
        const all = Buffer.concat(rec.chunks);
        if (!replied && all.length >= 4 && all.length >= 4 + all.readUInt16LE(1)) {
          replied = true;
          sock.end(reply(all.subarray(0, 4 + all.readUInt16LE(1)), idx));
        }
      });
      sock.on('error', () => {});
      sock.on('close', () => resolve(Buffer.concat(rec.chunks)));
    });
    for (const w of waiters.splice(0)) w();
  });
  await /** @type {Promise<void>} */ (
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    })
  );
  return {
    port: /** @type {net.AddressInfo} */ (server.address()).port,
    /** bytes received on connection #i (resolves when that connection closed) */
    async connection(i, what) {
      return withTimeout(
        (async () => {
          while (conns.length <= i) await new Promise((r) => waiters.push(r));
          return conns[i].done;
        })(),
        STEP_TIMEOUT_MS,
        what,
      );
    },
    count: () => conns.length,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        for (const w of waiters) w();
      }),
  };
}

// ------------------------------------------ tiny independent uwsgi decoder

function decodeHeader(buf, what) {
  if (buf.length < 4) fail(`${what}: ${buf.length} bytes, no uwsgi header`);
  return { modifier1: buf[0], datasize: buf.readUInt16LE(1), modifier2: buf[3] };
}

/** Array body: repeated (u16 LE len, bytes). Must consume the body exactly. */
function decodeArray(body, what) {
  const items = [];
  let p = 0;
  while (p < body.length) {
    if (p + 2 > body.length) fail(`${what}: truncated array item length at ${p}`);
    const n = body.readUInt16LE(p);
    p += 2;
    if (p + n > body.length) fail(`${what}: array item overruns body at ${p}`);
    items.push(Buffer.from(body.subarray(p, p + n)));
    p += n;
  }
  return items;
}

/** Vars dict body: repeated (u16 klen, key, u16 vlen, val). Exact. */
function decodeVars(body, what) {
  const items = decodeArray(body, what);
  if (items.length % 2) fail(`${what}: odd number of dict items (${items.length})`);
  const pairs = [];
  for (let i = 0; i < items.length; i += 2) pairs.push([items[i], items[i + 1]]);
  return pairs;
}

/** A whole packet whose body is exactly `datasize` bytes (nothing after). */
function decodePacket(buf, what) {
  const h = decodeHeader(buf, what);
  if (buf.length !== 4 + h.datasize) {
    fail(`${what}: ${buf.length} bytes but header says 4 + ${h.datasize}`);
  }
  return { ...h, body: buf.subarray(4) };
}

const utf8 = (b) => {
  const s = Buffer.from(b).toString('utf8');
  return Buffer.from(s, 'utf8').equals(Buffer.from(b)) ? s : null;
};

// --------------------------------------------------- builders (our packets)
// Used only for what WE send (never stored as vectors) and for listener replies.

function encodeArray(items) {
  const parts = [];
  for (const it of items) {
    const b = Buffer.from(it);
    const l = Buffer.alloc(2);
    l.writeUInt16LE(b.length);
    parts.push(l, b);
  }
  return Buffer.concat(parts);
}
function packet(modifier1, body, modifier2) {
  const h = Buffer.alloc(4);
  h[0] = modifier1;
  h.writeUInt16LE(body.length, 1);
  h[3] = modifier2;
  return Buffer.concat([h, body]);
}
function rpcResponse(result) {
  if (result.length <= 0xffff) return packet(173, result, 0);
  const dict = encodeArray(['CONTENT_LENGTH', String(result.length)]);
  return Buffer.concat([packet(173, dict, 5), result]);
}

const bigPattern = () => {
  const b = Buffer.alloc(BIG_LEN);
  for (let i = 0; i < BIG_LEN; i++) b[i] = i % 251;
  return b;
};

// ---------------------------------------------------------- processes

const children = [];

/**
 * @typedef {import('node:child_process').ChildProcess & { what: string, exited: Promise<{ code: number | null, signal: string | null, err?: Error }> }} Child
 * @returns {Child}
 */
function startChild(cmd, args, logFile, what) {
  const fd = fs.openSync(logFile, 'a');
  const child = /** @type {Child} */ (spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: false }));
  fs.closeSync(fd);
  child.what = what;
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => resolve({ code: -1, signal: null, err }));
  });
  children.push(child);
  return child;
}

async function stopChild(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const r = await Promise.race([child.exited, sleep(10000).then(() => null)]);
  if (!r) {
    console.error(`${child.what} (pid ${child.pid}) ignored ${signal}; sending SIGKILL`);
    child.kill('SIGKILL');
    await child.exited;
  }
}

function versionOf(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    // nginx -v prints to stderr
    return String(e.stderr || e.stdout || e.message).trim();
  }
}
function nginxVersion() {
  const r = execFileSync('sh', ['-c', 'nginx -v 2>&1'], { encoding: 'utf8' }).trim();
  return r.replace(/^nginx version:\s*/, '');
}

// ---------------------------------------------------------------- main

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uwsgi-rpc-vectors-'));
  const uwsgiVersion = versionOf('uwsgi', ['--version']);
  const nginxVer = nginxVersion();
  const files = new Map(); // name -> Buffer
  const vectors = [];
  let listener;

  try {
    // ---------------------------------------------------------- uWSGI
    const rpcPort = await freePort();
    const httpPort = await freePort();
    // Node listener standing in for a remote RPC node: 1st connection (hello)
    // gets a 16-bit answer, 2nd (big) the 64-bit form.
    const nodeAnswers = [Buffer.from('Hello from Node'), bigPattern(), Buffer.from('echoed by Node')];
    listener = await recordingListener((_pkt, idx) => rpcResponse(nodeAnswers[idx] ?? Buffer.alloc(0)));

    const uwsgiLog = path.join(tmp, 'uwsgi.log');
    const uwsgi = startChild(
      'uwsgi',
      [
        '--plugin',
        'python3,rpc',
        '--socket',
        `127.0.0.1:${rpcPort}`,
        '--http-socket',
        `127.0.0.1:${httpPort}`,
        '--buffer-size',
        '65535',
        '--wsgi-file',
        APP_PY,
        '--master',
        '--processes',
        '1',
        '--no-orphans',
        '--socket-timeout',
        '10',
      ],
      uwsgiLog,
      'uwsgi',
    );
    await waitPort(rpcPort, uwsgi, 'uwsgi --socket');
    await waitPort(httpPort, uwsgi, 'uwsgi --http-socket');

    // (1) uWSGI's own client: trigger the WSGI app over HTTP
    const httpResp = await exchange(
      httpPort,
      `GET /?port=${listener.port} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`,
      'uwsgi app HTTP GET',
    );
    const reqHello = await listener.connection(0, 'uwsgi.rpc hello request');
    const reqBig = await listener.connection(1, 'uwsgi.rpc big request');
    const reqEmptyArg = await listener.connection(2, 'uwsgi.rpc echo (empty arg) request');
    const httpText = httpResp.toString('latin1');
    const sep = httpText.indexOf('\r\n\r\n');
    if (!/^HTTP\/1\.[01] 200/.test(httpText) || sep < 0) fail(`app HTTP response: ${httpText.slice(0, 300)}`);
    const appOut = JSON.parse(httpText.slice(sep + 4));
    if (appOut.error) fail(`uwsgi.rpc raised in the app: ${appOut.error}`);
    // round trip: uWSGI's client must have decoded our hand-built answers
    for (const [k, want] of /** @type {[string, Buffer][]} */ ([
      ['hello', nodeAnswers[0]],
      ['big', nodeAnswers[1]],
      ['echo', nodeAnswers[2]],
    ])) {
      if (!appOut[k] || appOut[k].len !== want.length || appOut[k].sha256 !== sha256(want)) {
        fail(`uwsgi.rpc(${k}) returned ${JSON.stringify(appOut[k])}, expected len ${want.length}`);
      }
    }

    {
      const p = decodePacket(reqHello, 'rpc-request.bin');
      assertEq([p.modifier1, p.modifier2], [173, 0], 'rpc-request.bin modifiers');
      const items = decodeArray(p.body, 'rpc-request.bin');
      assertEq(
        items.map(hex),
        [Buffer.from('hello'), Buffer.from('foo'), Buffer.from('bar\x00\xff', 'latin1')].map(hex),
        'rpc-request.bin items',
      );
      files.set('rpc-request.bin', reqHello);
      vectors.push({
        file: 'rpc-request.bin',
        kind: 'request',
        producer: 'uwsgi',
        description:
          "RPC request packet sent by uWSGI's own client: uwsgi.rpc('127.0.0.1:PORT', b'hello', b'foo', b'bar\\x00\\xff') (python3 plugin), as received by a TCP listener",
        ...common(reqHello, p),
        name: items[0].toString('utf8'),
        name_hex: hex(items[0]),
        args_hex: items.slice(1).map(hex),
        items_hex: items.map(hex),
      });
    }
    {
      const p = decodePacket(reqBig, 'rpc-request-noargs.bin');
      assertEq([p.modifier1, p.modifier2], [173, 0], 'rpc-request-noargs.bin modifiers');
      const items = decodeArray(p.body, 'rpc-request-noargs.bin');
      assertEq(items.map(hex), [hex(Buffer.from('big'))], 'rpc-request-noargs.bin items');
      files.set('rpc-request-noargs.bin', reqBig);
      vectors.push({
        file: 'rpc-request-noargs.bin',
        kind: 'request',
        producer: 'uwsgi',
        description:
          "RPC request packet sent by uWSGI's own client for a call without arguments: uwsgi.rpc('127.0.0.1:PORT', b'big'). uWSGI accepted a 64-bit form answer (modifier2 5 + CONTENT_LENGTH dict + 70000 raw bytes) to it and returned the 70000 bytes to Python",
        ...common(reqBig, p),
        name: items[0].toString('utf8'),
        name_hex: hex(items[0]),
        args_hex: [],
        items_hex: items.map(hex),
      });
    }

    {
      const p = decodePacket(reqEmptyArg, 'rpc-request-empty-arg.bin');
      assertEq([p.modifier1, p.modifier2], [173, 0], 'rpc-request-empty-arg.bin modifiers');
      const items = decodeArray(p.body, 'rpc-request-empty-arg.bin');
      assertEq(
        items.map(hex),
        ['echo', 'a', '', 'b'].map((x) => hex(Buffer.from(x))),
        'rpc-request-empty-arg.bin items',
      );
      files.set('rpc-request-empty-arg.bin', reqEmptyArg);
      vectors.push({
        file: 'rpc-request-empty-arg.bin',
        kind: 'request',
        producer: 'uwsgi',
        description:
          "RPC request packet sent by uWSGI's own client for uwsgi.rpc('127.0.0.1:PORT', b'echo', b'a', b'', b'b'): the client DOES send the empty item (u16 0) although uWSGI's server side drops empty items (see rpc-response-echo-empty-arg.bin)",
        ...common(reqEmptyArg, p),
        name: items[0].toString('utf8'),
        name_hex: hex(items[0]),
        args_hex: items.slice(1).map(hex),
        items_hex: items.map(hex),
      });
    }

    // (2) uWSGI as RPC server
    const call = (items, m2 = 0) => exchange(rpcPort, packet(173, encodeArray(items), m2), `rpc call ${items[0]}`);

    {
      const resp = await call(['hello']);
      const p = decodePacket(resp, 'rpc-response.bin');
      assertEq([p.modifier1, p.modifier2], [173, 0], 'rpc-response.bin modifiers');
      assertEq(p.body, Buffer.from('Hello World'), 'rpc-response.bin result');
      files.set('rpc-response.bin', resp);
      vectors.push({
        file: 'rpc-response.bin',
        kind: 'response',
        producer: 'uwsgi',
        description: "uWSGI's answer (modifier2 0 request) to an RPC call of 'hello' (no args) -> b'Hello World'",
        ...common(resp, p),
        request: { name: 'hello', args_hex: [] },
        result_hex: hex(p.body),
        result_utf8: utf8(p.body),
        result_length: p.body.length,
      });
    }
    const echoVector = async (file, args, expected, description) => {
      const resp = await call([Buffer.from('echo'), ...args]);
      const p = decodePacket(resp, file);
      assertEq([p.modifier1, p.modifier2], [173, 0], `${file} modifiers`);
      assertEq(p.body, expected, `${file} result`);
      files.set(file, resp);
      vectors.push({
        file,
        kind: 'response',
        producer: 'uwsgi',
        description,
        ...common(resp, p),
        request: { name: 'echo', args_hex: args.map(hex) },
        result_hex: hex(p.body),
        result_utf8: utf8(p.body),
        result_length: p.body.length,
      });
    };
    await echoVector(
      'rpc-response-echo.bin',
      [Buffer.from('a'), Buffer.from('b\x00\xff', 'latin1'), Buffer.from('\u00e9\u20ac')],
      Buffer.concat([Buffer.from('a|b\x00\xff|', 'latin1'), Buffer.from('\u00e9\u20ac')]),
      "uWSGI's answer to 'echo'(b'a', b'b\\x00\\xff', 'é€'.encode()); echo returns b'|'.join(args) -> binary result with NUL, 0xff and UTF-8",
    );
    await echoVector(
      'rpc-response-echo-empty-arg.bin',
      [Buffer.from('a'), Buffer.alloc(0), Buffer.from('b')],
      Buffer.from('a|b'),
      "uWSGI's answer to 'echo'(b'a', b'', b'b'): uWSGI's server (uwsgi_parse_array) silently DROPS zero-length items, so the function is called with (b'a', b'b') and answers b'a|b', not b'a||b'",
    );
    {
      const resp = await call(['big']);
      const h = decodeHeader(resp, 'rpc-response-64bit.bin');
      assertEq([h.modifier1, h.modifier2], [173, 5], 'rpc-response-64bit.bin modifiers');
      const dictEnd = 4 + h.datasize;
      if (resp.length < dictEnd) fail('rpc-response-64bit.bin: dict truncated');
      const pairs = decodeVars(resp.subarray(4, dictEnd), 'rpc-response-64bit.bin dict');
      const vars = pairs.map(([k, v]) => [k.toString('utf8'), v.toString('utf8')]);
      assertEq(vars, [['CONTENT_LENGTH', String(BIG_LEN)]], 'rpc-response-64bit.bin dict');
      const body = resp.subarray(dictEnd);
      assertEq(body.length, BIG_LEN, 'rpc-response-64bit.bin body length');
      assertEq(sha256(body), sha256(bigPattern()), 'rpc-response-64bit.bin body pattern');
      files.set('rpc-response-64bit.bin', resp);
      vectors.push({
        file: 'rpc-response-64bit.bin',
        kind: 'response64',
        producer: 'uwsgi',
        description:
          "uWSGI's answer to 'big' (no args), whose result is 70000 bytes > 65535: header (173, dictlen, 5) + vars dict {CONTENT_LENGTH: '70000'} + raw result",
        size: resp.length,
        sha256: sha256(resp),
        modifier1: h.modifier1,
        datasize: h.datasize,
        modifier2: h.modifier2,
        vars,
        vars_hex: pairs.map(([k, v]) => [hex(k), hex(v)]),
        body_offset: dictEnd,
        request: { name: 'big', args_hex: [] },
        result_length: body.length,
        result_sha256: sha256(body),
        result_pattern: 'byte[i] = i % 251 for i in 0..69999',
        result_head_hex: hex(body.subarray(0, 32)),
        result_tail_hex: hex(body.subarray(body.length - 32)),
      });
    }
    {
      const resp = await call(['nosuchfunction', 'x']);
      assertEq(resp.length, 0, 'unknown function: uWSGI should write nothing');
      files.set('rpc-response-unknown.bin', resp);
      vectors.push({
        file: 'rpc-response-unknown.bin',
        kind: 'empty',
        producer: 'uwsgi',
        description:
          "uWSGI's answer to an RPC call of an unregistered function ('nosuchfunction', b'x'): nothing at all, the connection is just closed (0-byte file)",
        size: 0,
        sha256: sha256(resp),
        request: { name: 'nosuchfunction', args_hex: [hex(Buffer.from('x'))] },
      });
    }

    // ---------------------------------------------------------- nginx
    const ngxPort = await freePort();
    const upstream = await recordingListener(() =>
      Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n'),
    );
    const ngxConf = path.join(tmp, 'nginx.conf');
    fs.writeFileSync(
      ngxConf,
      `
daemon off;
master_process off;
worker_processes 1;
pid ${tmp}/nginx.pid;
error_log ${tmp}/nginx-error.log info;
events { worker_connections 64; }
http {
  access_log ${tmp}/nginx-access.log;
  client_body_temp_path ${tmp}/body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  server {
    listen 127.0.0.1:${ngxPort};
    server_name vectors.test;
    root /srv/vectors-docroot;   # fixed DOCUMENT_ROOT (never read: uwsgi_pass only)
    location / {
      include /etc/nginx/uwsgi_params;
      uwsgi_pass 127.0.0.1:${upstream.port};
    }
    location = /rpc {
      uwsgi_modifier1 173;
      uwsgi_modifier2 1;
      uwsgi_param hello foo;
      uwsgi_param bar "";
      uwsgi_pass_request_headers off;
      uwsgi_pass_request_body off;
      uwsgi_pass 127.0.0.1:${upstream.port};
    }
  }
}
`,
    );
    const nginx = startChild(
      'nginx',
      ['-e', `${tmp}/nginx-error.log`, '-p', tmp, '-c', ngxConf],
      path.join(tmp, 'nginx.out'),
      'nginx',
    );
    await waitPort(ngxPort, nginx, 'nginx');

    const query = 'a=1&b=x%20y&empty=';
    const ngxHttp1 = await exchange(
      ngxPort,
      `GET /some/path?${query} HTTP/1.1\r\nHost: vectors.test\r\nUser-Agent: uwsgi-rpc-capture/1\r\n` +
        'X-Custom-Header: v1\r\nAccept: */*\r\nConnection: close\r\n\r\n',
      'nginx GET /some/path',
    );
    if (!/^HTTP\/1\.1 200/.test(ngxHttp1.toString('latin1')))
      fail(`nginx answered ${ngxHttp1.toString('latin1').slice(0, 200)}`);
    const ngxVars = await upstream.connection(0, 'nginx vars packet');

    const ngxHttp2 = await exchange(
      ngxPort,
      'GET /rpc HTTP/1.1\r\nHost: vectors.test\r\nX-Not-Passed: 1\r\nConnection: close\r\n\r\n',
      'nginx GET /rpc',
    );
    if (!/^HTTP\/1\.1 200/.test(ngxHttp2.toString('latin1')))
      fail(`nginx answered ${ngxHttp2.toString('latin1').slice(0, 200)}`);
    const ngxRpc = await upstream.connection(1, 'nginx rpc packet');
    await stopChild(nginx, 'SIGQUIT');

    {
      const p = decodePacket(ngxVars, 'nginx-vars.bin');
      assertEq([p.modifier1, p.modifier2], [0, 0], 'nginx-vars.bin modifiers');
      const pairs = decodeVars(p.body, 'nginx-vars.bin');
      const vars = pairs.map(([k, v]) => {
        if (utf8(k) === null || utf8(v) === null) fail('nginx-vars.bin: non-utf8 var');
        return [k.toString('utf8'), v.toString('utf8')];
      });
      const get = (k) => vars.find(([kk]) => kk === k)?.[1];
      assertEq(get('QUERY_STRING'), query, 'nginx QUERY_STRING');
      assertEq(get('REQUEST_METHOD'), 'GET', 'nginx REQUEST_METHOD');
      assertEq(get('REQUEST_URI'), `/some/path?${query}`, 'nginx REQUEST_URI');
      assertEq(get('PATH_INFO'), '/some/path', 'nginx PATH_INFO');
      assertEq(get('SERVER_PORT'), String(ngxPort), 'nginx SERVER_PORT');
      assertEq(get('DOCUMENT_ROOT'), '/srv/vectors-docroot', 'nginx DOCUMENT_ROOT');
      assertEq(get('HTTP_X_CUSTOM_HEADER'), 'v1', 'nginx HTTP_X_CUSTOM_HEADER');
      assertEq(get('HTTP_USER_AGENT'), 'uwsgi-rpc-capture/1', 'nginx HTTP_USER_AGENT');
      files.set('nginx-vars.bin', ngxVars);
      vectors.push({
        file: 'nginx-vars.bin',
        kind: 'vars',
        producer: 'nginx',
        description: `modifier1 0 request packet (vars dict) sent by nginx (include /etc/nginx/uwsgi_params; uwsgi_pass) for 'GET /some/path?${query}' with Host, User-Agent, X-Custom-Header, Accept, Connection headers. REMOTE_PORT/SERVER_PORT are run-specific; note the empty CONTENT_TYPE/CONTENT_LENGTH values`,
        ...common(ngxVars, p),
        vars,
      });
    }
    {
      const p = decodePacket(ngxRpc, 'nginx-rpc.bin');
      assertEq([p.modifier1, p.modifier2], [173, 1], 'nginx-rpc.bin modifiers');
      const items = decodeArray(p.body, 'nginx-rpc.bin');
      assertEq(
        items.map((b) => b.toString('utf8')),
        ['hello', 'foo', 'bar', ''],
        'nginx-rpc.bin items',
      );
      const pairs = decodeVars(p.body, 'nginx-rpc.bin');
      files.set('nginx-rpc.bin', ngxRpc);
      vectors.push({
        file: 'nginx-rpc.bin',
        kind: 'request',
        producer: 'nginx',
        description:
          "RPC packet sent by nginx with 'uwsgi_modifier1 173; uwsgi_modifier2 1; uwsgi_param hello foo; uwsgi_param bar \"\"; uwsgi_pass_request_headers off; uwsgi_pass_request_body off;'. The params are a vars dict, read as an array: name 'hello', args foo, bar and a trailing EMPTY item",
        ...common(ngxRpc, p),
        name: items[0].toString('utf8'),
        name_hex: hex(items[0]),
        args_hex: items.slice(1).map(hex),
        items_hex: items.map(hex),
        vars: pairs.map(([k, v]) => [k.toString('utf8'), v.toString('utf8')]),
      });
    }

    // (3) replay nginx's modifier2 1 packet against real uWSGI. Its trailing
    // empty item (00 00 as the last 2 bytes) makes uwsgi_parse_array reject the
    // whole request ("invalid uwsgi array. skip this request."): nothing back.
    {
      const resp = await exchange(rpcPort, ngxRpc, 'replay nginx-rpc.bin to uwsgi');
      assertEq(resp.length, 0, 'replaying nginx-rpc.bin to uWSGI should get no answer');
      files.set('rpc-response-nginx-replay.bin', resp);
      vectors.push({
        file: 'rpc-response-nginx-replay.bin',
        kind: 'empty',
        producer: 'uwsgi',
        description:
          "uWSGI's answer to nginx-rpc.bin replayed byte for byte: NOTHING (0-byte file, connection closed). uwsgi_parse_array rejects an array whose LAST item is empty (it needs ptr + 2 < end before reading a length), logging 'invalid uwsgi array. skip this request.'",
        size: 0,
        sha256: sha256(resp),
        request: { file: 'nginx-rpc.bin', name: 'hello', args_hex: ['666f6f', '626172', ''] },
      });
    }
    // (4) modifier2 1 without the trailing empty item: raw result, no header
    {
      const items = ['hello', 'foo'];
      const resp = await call(items, 1);
      assertEq(resp, Buffer.from('Hello World'), 'rpc-response-raw.bin (modifier2 1 => raw result, no header)');
      files.set('rpc-response-raw.bin', resp);
      vectors.push({
        file: 'rpc-response-raw.bin',
        kind: 'raw',
        producer: 'uwsgi',
        description:
          "uWSGI's answer to an RPC request with modifier2 1 (items hello, foo): for modifier2 other than 0 (and 2/3) uWSGI writes the bare result, no uwsgi header, then closes",
        size: resp.length,
        sha256: sha256(resp),
        request: { modifier2: 1, name: 'hello', args_hex: items.slice(1).map((x) => hex(Buffer.from(x))) },
        result_hex: hex(resp),
        result_utf8: utf8(resp),
        result_length: resp.length,
      });
    }

    await upstream.close();
    await stopChild(uwsgi, 'SIGINT');
    const uw = await uwsgi.exited;
    if (uw.code !== 0 && uw.signal) console.error(`note: uwsgi exit ${JSON.stringify(uw)}`);

    // ------------------------------------------------------------ write
    for (const [name, buf] of files) fs.writeFileSync(path.join(OUT_DIR, name), buf);
    const manifest = {
      format: 'uwsgi-rpc golden vectors v1',
      generator: 'test/vectors/capture.mjs',
      captured_at: new Date().toISOString(),
      uwsgi_version: uwsgiVersion,
      nginx_version: nginxVer,
      vectors,
    };
    fs.writeFileSync(path.join(OUT_DIR, 'vectors.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`uWSGI ${uwsgiVersion}, ${nginxVer}`);
    for (const [name, buf] of files) console.log(`wrote ${path.join(OUT_DIR, name)} (${buf.length} bytes)`);
    console.log(`wrote ${path.join(OUT_DIR, 'vectors.json')}`);
  } catch (e) {
    for (const f of ['uwsgi.log', 'nginx-error.log', 'nginx.out']) {
      const p = path.join(tmp, f);
      if (fs.existsSync(p))
        console.error(`--- ${p} (tail)\n${fs.readFileSync(p, 'utf8').split('\n').slice(-25).join('\n')}`);
    }
    throw e;
  } finally {
    if (listener) await listener.close();
    await cleanup();
    if (!process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Fields shared by every complete-packet vector. */
function common(buf, p) {
  return {
    size: buf.length,
    sha256: sha256(buf),
    modifier1: p.modifier1,
    datasize: p.datasize,
    modifier2: p.modifier2,
  };
}

async function cleanup() {
  for (const c of children.splice(0).reverse()) {
    await stopChild(c, c.what === 'nginx' ? 'SIGQUIT' : 'SIGINT');
  }
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    cleanup().finally(() => process.exit(130));
  });
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e?.stack ? e.stack : e);
    process.exit(1);
  },
);
