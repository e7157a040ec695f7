// TLS suite (`npm run bench -- tls`): the same echo calls over TLS (--ssl-socket) beside plain (--socket), on our
// server (one process) and on real uWSGI (python3, 2 processes), connection per call and keep-alive (uWSGI closes
// after each answer: per call only), 16 calls in flight from our RpcClient in a child process, paired rounds (plain
// and TLS alternate who goes first). Certificates: a throwaway CA and server certificate made with openssl in a temp
// folder removed at the end.
//   node bench/tls.bench.mjs [--rounds N] [--secs S] [--quick] [--json FILE]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir } from './lib/cleanup.mjs';
import { machine, quick, ratio, table } from './lib/measure.mjs';
import { uwsgiPython } from './lib/uwsgi.mjs';
import { arg, benchDir, drive, freePort, has, median, progress, start } from './lib/procs.mjs';

const rounds = Number(arg('rounds', quick ? 1 : 3));
const secs = Number(arg('secs', quick ? 0.3 : 3));
const conc = '16';
const node = process.execPath;
const client = join(benchDir, 'clients', 'ours-client.mjs');

const dir = tempDir('uwsgi-rpc-bench-tls-');
const openssl = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
openssl(['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=bench-ca', '-keyout', 'ca.key', '-out', 'ca.crt']);
openssl(['req', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
openssl([
  'x509',
  '-req',
  '-in',
  'server.csr',
  '-CA',
  'ca.crt',
  '-CAkey',
  'ca.key',
  '-CAcreateserial',
  '-days',
  '2',
  '-extfile',
  'server.ext',
  '-out',
  'server.crt',
]);
const ca = join(dir, 'ca.crt');
const certKey = `${join(dir, 'server.crt')},${join(dir, 'server.key')}`;

/** Each server listens plain on PORT and over TLS on PORT + 1. */
const specs = [
  {
    name: 'uwsgi-rpc server',
    modes: ['percall', 'keepalive'],
    cmd: node,
    args: (p) => [
      join(benchDir, '..', 'bin', 'uwsgi-rpc.js'),
      'serve',
      '--import',
      join(benchDir, 'servers', 'functions.mjs'),
      '--socket',
      `127.0.0.1:${p}`,
      '--ssl-socket',
      `127.0.0.1:${p + 1},${certKey}`,
    ],
  },
];
if (has('uwsgi', 'apt-get install uwsgi-core uwsgi-plugin-python3')) {
  specs.push({
    name: 'uWSGI python3 x2',
    modes: ['percall'],
    cmd: 'uwsgi',
    args: (p) => uwsgiPython(p, 2, ['--ssl-socket', `127.0.0.1:${p + 1},${certKey}`]),
  });
}
const modeName = { percall: 'connection per call', keepalive: 'keep-alive' };

/** Two free ports in a row (plain, TLS). */
async function portPair() {
  for (;;) {
    const p = await freePort();
    if (p < 65535 && (await freePort()) !== p + 1) {
      const { createServer } = await import('node:net');
      const free = await new Promise((resolve) => {
        const s = createServer();
        s.once('error', () => resolve(false));
        s.listen(p + 1, '127.0.0.1', () => s.close(() => resolve(true)));
      });
      if (free) return p;
    }
  }
}

const run = (mode, s, tls, t) => {
  const target = tls ? `suwsgi://127.0.0.1:${s.port + 1}` : `127.0.0.1:${s.port}`;
  return drive(node, [client, mode, target, conc, String(t), ...(tls ? [ca] : [])], t, s.child.pid, (out) =>
    JSON.parse(out.trim().split('\n').at(-1)),
  );
};

const running = [];
const results = {}; // `${server}, ${mode}` -> 'plain' | 'TLS' -> [{rate, errors}]
try {
  for (const s of specs) {
    const port = await portPair();
    const started = await start(s.name, port, s.cmd, s.args(port));
    running.push({ ...s, ...started });
  }
  await new Promise((r) => setTimeout(r, 300));
  process.stderr.write(
    `bench tls: ${running.length} servers, ${rounds} rounds x ${secs}s, ${conc} calls in flight, plain and TLS\n`,
  );
  if (!quick)
    for (const s of running) for (const m of s.modes) for (const tls of [false, true]) await run(m, s, tls, 1);
  for (let r = 0; r < rounds; r++) {
    for (const s of running) {
      for (const mode of s.modes) {
        const order = r % 2 ? [true, false] : [false, true];
        for (const tls of order) {
          const x = await run(mode, s, tls, secs);
          const how = tls ? 'TLS' : 'plain';
          ((results[`${s.name}, ${modeName[mode]}`] ??= {})[how] ??= []).push(x);
          progress(
            `round ${r + 1}/${rounds} ${s.name}, ${modeName[mode]}, ${how}: ${Math.round(x.rate)}/s errors=${x.errors}`,
          );
        }
      }
    }
  }
} finally {
  await Promise.all(running.map((s) => s.stop()));
  removeDir(dir);
}

const med = (key, how) => median((results[key]?.[how] ?? []).map((x) => x.rate));
const medians = Object.fromEntries(
  Object.keys(results).map((k) => [k, { plain: med(k, 'plain'), tls: med(k, 'TLS') }]),
);
const md = table(
  ['server, mode', 'plain', 'TLS', 'TLS / plain', 'errors'],
  Object.entries(medians).map(([k, m]) => [
    k,
    `${Math.round(m.plain)}/s`,
    `${Math.round(m.tls)}/s`,
    ratio(m.tls, m.plain),
    String(
      Object.values(results[k])
        .flat()
        .reduce((n, x) => n + x.errors, 0),
    ),
  ]),
);
console.log(
  `\n### TLS beside plain, ${conc} concurrent echo calls from our RpcClient (${machine()}; medians of ${rounds} paired rounds of ${secs}s)\n\n${md}\n`,
);
const j = arg('json');
const commands = [
  ...specs.map(
    (s) =>
      `${s.cmd === node ? 'node' : s.cmd} ${s
        .args(0)
        .join(' ')
        .replace(/127\.0\.0\.1:[01]\b/g, '127.0.0.1:PORT')}`,
  ),
  `node ${client} percall|keepalive 127.0.0.1:PORT|suwsgi://127.0.0.1:PORT ${conc} ${secs} [CA]`,
];
if (j) writeFileSync(j, JSON.stringify({ commands, rounds, secs, medians, results }, null, 2));
