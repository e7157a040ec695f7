// Shared by the end-to-end suites: start/stop servers, drive rpcload, measure RSS of a process tree.
// Every process goes through lib/cleanup.mjs: nothing outlives the script, however it ends.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchError, spawnGroup } from './cleanup.mjs';

export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const outDir = join(benchDir, '.out');
mkdirSync(outDir, { recursive: true });

export const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
export const progress = (line) => process.stderr.write(`  ${line}\n`);

/** true when `cmd` runs; otherwise prints why its rows are left out (the smoke test shows it). */
export function has(cmd, why = '') {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    process.stderr.write(`skipped: ${cmd} is not installed${why ? ` (${why})` : ''}; its rows are left out\n`);
    return false;
  }
}

let rpcloadBin;
/**
 * The load generator: bench/rpcload.c built with `cc -O2` into bench/.out/rpcload when the
 * binary is missing or older than the source; `--rpcload PATH` runs another program instead
 * (bench-cleanup.test.ts gives one that fails half-way).
 */
export function rpcloadPath() {
  if (rpcloadBin) return rpcloadBin;
  const other = arg('rpcload');
  if (other) return (rpcloadBin = other);
  const src = join(benchDir, 'rpcload.c');
  const bin = join(outDir, 'rpcload');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    // built aside and renamed: a bench running at the same time never runs a half-written binary
    const tmp = `${bin}.${process.pid}.tmp`;
    try {
      execFileSync('cc', ['-O2', '-o', tmp, src], { stdio: ['ignore', 'inherit', 'inherit'] });
      renameSync(tmp, bin);
    } catch (e) {
      rmSync(tmp, { force: true });
      if (e.code === 'ENOENT')
        throw new BenchError(
          'NO_CC',
          'a C compiler is needed to build the load generator bench/rpcload.c: `cc` was not found (apt-get install gcc)',
        );
      throw new BenchError('CC_FAILED', `cc -O2 bench/rpcload.c failed (exit ${e.status})`);
    }
  }
  return (rpcloadBin = bin);
}

export const freePort = () =>
  new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = /** @type {net.AddressInfo} */ (s.address()).port;
      s.close(() => res(p));
    });
  });

async function waitPort(port, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`exited (${child.exitCode ?? child.signalCode}) before listening on port ${port}`);
    const ok = await new Promise((res) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        res(true);
      });
      s.on('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing on port ${port}`);
}

/**
 * Starts a server listening on 127.0.0.1:port, in a process group of its own; stop() sends
 * `signal` (uWSGI: SIGINT, as SIGTERM reloads it), SIGKILL to the group after a grace, and waits.
 */
export async function start(name, port, cmd, args, signal = 'SIGINT') {
  const child = spawnGroup(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] }, { stopSignal: signal });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  try {
    await waitPort(port, child);
  } catch (e) {
    await child.stop();
    throw new Error(`${name}: ${e.message}\n${err}`);
  }
  return { name, port, child, stop: () => child.stop() };
}

/**
 * Before an "RSS after each round" sample: Node servers started with --expose-gc collect
 * their garbage on SIGUSR2, so growth means retained memory, not garbage V8 has not yet
 * collected. Others (uWSGI, the cluster primary) are left alone.
 */
export async function settle(servers) {
  for (const s of servers) if (s.gcOnSignal) s.child.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 300));
}

/** RSS in MB of a process and all its descendants (uWSGI master + workers, cluster primary + workers). */
export function rssTree(pid) {
  let rows;
  try {
    rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).map(Number));
  } catch {
    return NaN;
  }
  const kids = new Map();
  for (const [p, pp] of rows) (kids.get(pp) ?? kids.set(pp, []).get(pp)).push(p);
  const rss = new Map(rows.map(([p, , r]) => [p, r]));
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    total += rss.get(p) ?? 0;
    stack.push(...(kids.get(p) ?? []));
  }
  return total / 1024;
}

/**
 * Runs a load generator for its duration; samples the server's RSS half way (RSS under load).
 * parse(stdout) -> { rate, errors, p99? }.
 */
export function drive(cmd, args, secs, pid, parse) {
  return new Promise((resolve, reject) => {
    const child = spawnGroup(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    let loadedRss = NaN;
    const t = setTimeout(
      () => {
        loadedRss = rssTree(pid);
      },
      Math.max(50, secs * 500),
    );
    // 'close', not 'exit': the output may still be in the pipe when the process has exited.
    child.on('error', (e) => {
      clearTimeout(t);
      reject(new Error(`${cmd}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(t);
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}${out}`));
      try {
        resolve({ ...parse(out), rss: loadedRss });
      } catch (e) {
        reject(new Error(`${cmd}: cannot read its output (${e.message}): ${out}${err}`));
      }
    });
  });
}

export function parseRpcload(line) {
  const m = Object.fromEntries(
    line
      .trim()
      .split(/\s+/)
      .map((kv) => kv.split('=')),
  );
  return { rate: Number(m.rate.replace('/s', '')), errors: Number(m.errors), p99: Number(m.p99_us) };
}

/** rpcload against 127.0.0.1:port with flags, calling func(args). */
export const rpcload = (server, flags, secs, func, args) =>
  drive(
    rpcloadPath(),
    [...flags, '-d', String(secs), `127.0.0.1:${server.port}`, func, ...args],
    secs,
    server.child.pid,
    parseRpcload,
  );

export const version = (cmd, args, re = /.*/) => {
  try {
    return (
      execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).match(re)?.[0] ?? ''
    ).trim();
  } catch (e) {
    return (
      String(e.stdout ?? e.stderr ?? '')
        .match(re)?.[0]
        ?.trim() ?? 'not installed'
    );
  }
};
