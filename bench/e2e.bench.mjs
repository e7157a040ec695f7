// End to end with ../shared/tools/rpcload.c: our server vs real uWSGI (python3, 1 process) vs a
// minimal hand-written Node server, on the same echo call, in the same run, paired rounds.
//   node bench/e2e.bench.mjs [--rounds N] [--secs S] [--quick] [--json FILE]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, quick, ratio, table } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const rounds = Number(arg('rounds', quick ? 1 : 3));
const secs = Number(arg('secs', quick ? 0.3 : 3));
const out = join(here, '.out');
mkdirSync(out, { recursive: true });

const shared = join(here, '..', '..', 'shared', 'tools', 'rpcload.c');
const rpcload = join(out, 'rpcload');
if (!existsSync(rpcload)) execFileSync('cc', ['-O2', '-o', rpcload, shared], { stdio: 'inherit' });

const freePort = () => new Promise((res) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const waitPort = async (port) => {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise((res) => { const s = net.connect(port, '127.0.0.1'); s.on('connect', () => { s.destroy(); res(true); }); s.on('error', () => res(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing on port ${port}`);
};

async function start(name, port, cmd, args, stop = 'SIGINT') {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  try { await waitPort(port); } catch (e) { child.kill('SIGINT'); throw new Error(`${name}: ${e.message}\n${err}`); }
  return { name, port, child, stop: () => new Promise((r) => { child.once('exit', r); child.kill(stop); }) };
}

function load(port, flags) {
  const line = execFileSync(rpcload, [...flags, '-d', String(secs), `127.0.0.1:${port}`, 'echo', 'aaa', 'bbbbb'], { encoding: 'utf8' });
  const m = Object.fromEntries(line.trim().split(/\s+/).map((kv) => kv.split('=')));
  return { rate: Number(m.rate.replace('/s', '')), errors: Number(m.errors), p99: Number(m.p99_us) };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const rss = (pid) => { try { return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024; } catch { return NaN; } };

const hasUwsgi = (() => { try { execFileSync('uwsgi', ['--version']); return true; } catch { return false; } })();
const servers = [];
const [pOurs, pMin, pU] = [await freePort(), await freePort(), await freePort()];
servers.push(await start('uwsgi-rpc', pOurs, process.execPath, [join(here, 'servers', 'ours.mjs'), String(pOurs)]));
servers.push(await start('minimal Node', pMin, process.execPath, [join(here, 'baselines', 'minimal-server.mjs'), String(pMin)]));
if (hasUwsgi) {
  servers.push(await start('uWSGI python3', pU, 'uwsgi', ['--plugin', 'python3,rpc', '--master', '--no-orphans', '--processes', '1', '--socket', `127.0.0.1:${pU}`,
    '--python-path', join(here, 'servers'), '--import', 'echo', '--disable-logging', '--buffer-size', '65535', '--listen', '1024'], 'SIGINT'));
} else process.stderr.write('uWSGI not installed: its rows are left out\n');

const modes = [
  ['connection per call (-c 16)', ['-c', '16']],
  ['keep-alive (-k -c 16)', ['-k', '-c', '16']],
  ['pipelined (-c 16 -p 16)', ['-c', '16', '-p', '16']],
];
const results = {};
const idle = Object.fromEntries(servers.map((s) => [s.name, rss(s.child.pid)]));
process.stderr.write(`bench e2e: ${rounds} rounds x ${secs}s per server and mode\n`);
for (let r = 0; r < rounds; r++) {
  for (const [mode, flags] of modes) {
    for (const s of servers) {
      if (s.name.startsWith('uWSGI') && mode !== modes[0][0]) continue; // uWSGI closes after each answer
      const x = load(s.port, flags);
      ((results[s.name] ??= {})[mode] ??= []).push(x);
      process.stderr.write(`  round ${r + 1} ${s.name}, ${mode}: ${Math.round(x.rate)}/s errors=${x.errors}\n`);
    }
  }
}
const loaded = Object.fromEntries(servers.map((s) => [s.name, rss(s.child.pid)]));
for (const s of servers) await s.stop();

const med = (name, mode) => { const xs = results[name]?.[mode]; return xs ? median(xs.map((x) => x.rate)) : NaN; };
const errs = (name, mode) => (results[name]?.[mode] ?? []).reduce((n, x) => n + x.errors, 0);
const rows = modes.map(([mode]) => {
  const ours = med('uwsgi-rpc', mode), min = med('minimal Node', mode), u = med('uWSGI python3', modes[0][0]);
  return [mode, `${Math.round(ours)}/s`, `${Math.round(min)}/s`, mode === modes[0][0] && hasUwsgi ? `${Math.round(u)}/s` : 'closes',
    ratio(ours, min), hasUwsgi ? ratio(ours, u) : '-', String(errs('uwsgi-rpc', mode))];
});
const md = table(['mode', 'uwsgi-rpc', 'minimal Node', 'uWSGI python3 (1 process)', 'ours / minimal', 'ours / uWSGI per-connection', 'our errors'], rows);
const mem = table(['server', 'RSS idle (MB)', 'RSS after load (MB)'], servers.map((s) => [s.name, idle[s.name].toFixed(1), loaded[s.name].toFixed(1)]));
console.log(`\n### End to end, rpcload (${machine()}; medians of ${rounds} paired rounds of ${secs}s)\n\n${md}\n\n${mem}\n`);
const j = arg('json');
if (j) writeFileSync(j, JSON.stringify({ machine: machine(), rounds, secs, results, idle, loaded }, null, 2));
