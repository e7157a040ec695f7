// Client suite (`npm run bench -- client`): our RpcClient vs a minimal hand-written Node client
// (baselines/minimal-client.mjs), each in a child node process driving 16 concurrent echo calls
// for S seconds, against real uWSGI (python3, 2 processes; connection per call: uWSGI closes) and
// against our server (one process: on a 2-core machine client and server then get a core each),
// connection per call and keep-alive, paired rounds (the two clients alternate who goes first).
//   node bench/client.bench.mjs [--rounds N] [--secs S] [--quick] [--json FILE]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, quick, ratio, table } from './lib/measure.mjs';
import { uwsgiPython } from './lib/uwsgi.mjs';
import { arg, benchDir, drive, freePort, has, median, progress, start } from './lib/procs.mjs';

const rounds = Number(arg('rounds', quick ? 1 : 3));
const secs = Number(arg('secs', quick ? 0.3 : 3));
const conc = '16';
const node = process.execPath;
const clients = {
  'uwsgi-rpc RpcClient': join(benchDir, 'clients', 'ours-client.mjs'),
  'minimal Node client': join(benchDir, 'baselines', 'minimal-client.mjs'),
};

const specs = [
  {
    name: 'uwsgi-rpc server',
    modes: ['percall', 'keepalive'],
    cmd: node,
    args: (p) => [join(benchDir, 'servers', 'ours.mjs'), String(p)],
  },
];
if (has('uwsgi', 'apt-get install uwsgi-core uwsgi-plugin-python3')) {
  specs.push({
    name: 'uWSGI python3 x2',
    modes: ['percall'],
    cmd: 'uwsgi',
    args: (p) => uwsgiPython(p, 2),
  });
}
const modeName = { percall: 'connection per call', keepalive: 'keep-alive' };
const run = (file, mode, s, t) =>
  drive(node, [file, mode, `127.0.0.1:${s.port}`, conc, String(t)], t, s.child.pid, (out) =>
    JSON.parse(out.trim().split('\n').at(-1)),
  );

const running = [];
const results = {}; // `${server}, ${mode}` -> client -> [{rate, errors}]
try {
  for (const s of specs) {
    const port = await freePort();
    running.push({ ...s, ...(await start(s.name, port, s.cmd, s.args(port))) });
  }
  await new Promise((r) => setTimeout(r, 300));
  process.stderr.write(
    `bench client: ${Object.keys(clients).length} clients x ${running.length} servers, ${rounds} rounds x ${secs}s, ${conc} calls in flight\n`,
  );
  if (!quick)
    for (const s of running) for (const m of s.modes) for (const f of Object.values(clients)) await run(f, m, s, 1); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const s of running) {
      for (const mode of s.modes) {
        const order = Object.entries(clients);
        if (r % 2) order.reverse();
        for (const [name, file] of order) {
          const x = await run(file, mode, s, secs);
          ((results[`${s.name}, ${modeName[mode]}`] ??= {})[name] ??= []).push(x);
          progress(
            `round ${r + 1}/${rounds} ${name} -> ${s.name}, ${modeName[mode]}: ${Math.round(x.rate)}/s errors=${x.errors}`,
          );
        }
      }
    }
  }
} finally {
  await Promise.all(running.map((s) => s.stop()));
}

const med = (key, c) => median((results[key]?.[c] ?? []).map((x) => x.rate));
const [ours, minimal] = Object.keys(clients);
const medians = Object.fromEntries(
  Object.keys(results).map((k) => [k, { ours: med(k, ours), minimal: med(k, minimal) }]),
);
const md = table(
  ['server, mode', ours, minimal, 'ours / minimal', 'errors'],
  Object.entries(medians).map(([k, m]) => [
    k,
    `${Math.round(m.ours)}/s`,
    `${Math.round(m.minimal)}/s`,
    ratio(m.ours, m.minimal),
    String(
      Object.values(results[k])
        .flat()
        .reduce((n, x) => n + x.errors, 0),
    ),
  ]),
);
console.log(
  `\n### Clients, ${conc} concurrent echo calls from one Node process (${machine()}; medians of ${rounds} paired rounds of ${secs}s)\n\n${md}\n`,
);
const j = arg('json');
const commands = [
  ...specs.map((s) => `${s.cmd === node ? 'node' : s.cmd} ${s.args('PORT').join(' ')}`),
  ...Object.values(clients).map((f) => `node ${f} percall|keepalive 127.0.0.1:PORT ${conc} ${secs}`),
];
if (j) writeFileSync(j, JSON.stringify({ commands, rounds, secs, medians, results }, null, 2));
