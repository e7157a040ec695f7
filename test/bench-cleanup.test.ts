// The benchmarks leave nothing behind, however they end: a run that fails half-way and a run
// that gets SIGINT half-way stop every process they started and remove their temp folders.
// Each run gets a marker in its environment (BENCH_TAG, inherited by every process it starts,
// inside network namespaces too, and found in /proc/*/environ even once reparented to pid 1)
// and a fresh empty TMPDIR; afterwards no live process carries the marker and TMPDIR is empty.
// The failure is real: --rpcload gives a "load generator" that exits 1 once the servers are up.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasUwsgiPlugins } from './cluster/cluster.js';
import { cleanupStaleLabs, NS_PREFIX, netnsUnavailable } from './helpers/netns.mjs';
import { requirePeer, which } from './helpers/peers.js';

const ROOT = join(__dirname, '..');
const BENCH = join(ROOT, 'bench');
/** How long killed processes may take to vanish from /proc after the bench exited. */
const VANISH_MS = 3_000;
/** A bench run that neither ends nor reaches its next step by then is killed and fails the test. */
const RUN_TIMEOUT_MS = 60_000;
const FAILING = which('false') ?? '/bin/false';

/** Pids of live (not zombie) processes whose environment holds BENCH_TAG=tag. */
function tagged(tag: string): number[] {
  const marker = Buffer.from(`BENCH_TAG=${tag}\0`);
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue; // dead, waiting for its parent
      if (readFileSync(`/proc/${name}/environ`).includes(marker)) found.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

const describeProc = (pid: number) => {
  try {
    return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`;
  } catch {
    return `${pid}: (gone)`;
  }
};

/** Tagged processes still alive once VANISH_MS has passed (SIGKILL takes effect at once, but not in zero time). */
async function survivors(tag: string): Promise<string[]> {
  const until = Date.now() + VANISH_MS;
  let left = tagged(tag);
  while (left.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    left = tagged(tag);
  }
  return left.map(describeProc);
}

interface Run {
  child: ChildProcess;
  tag: string;
  tmp: string;
  stderr(): string;
  /** Resolves once stderr matches `re` (rejects if the bench ends first). */
  waitFor(re: RegExp): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const runs: Run[] = [];

/** `node bench/SCRIPT ARGS` with a fresh marker and TMPDIR. */
function runBench(script: string, args: string[]): Run {
  const tag = randomBytes(8).toString('hex');
  const tmp = mkdtempSync(join(tmpdir(), 'bench-cleanup-'));
  const child = spawn(process.execPath, [join(BENCH, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_TAG: tag, TMPDIR: tmp },
  });
  let err = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout!.resume();
  child.stderr!.setEncoding('utf8').on('data', (t: string) => {
    err += t;
    for (const w of waiters.splice(0)) {
      if (w.re.test(err)) w.resolve();
      else waiters.push(w);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  exited.then(() => clearTimeout(timer));
  const run: Run = {
    child,
    tag,
    tmp,
    exited,
    stderr: () => err,
    waitFor: (re) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(err)) return resolve();
        waiters.push({ re, resolve });
        exited.then(({ code, signal }) =>
          reject(new Error(`the bench ended (${code ?? signal}) before ${re}:\n${err}`)),
        );
      }),
  };
  runs.push(run);
  return run;
}

/** Nothing of the run alive, its TMPDIR empty. */
async function expectNothingLeft(run: Run): Promise<void> {
  expect(await survivors(run.tag), `processes of the bench still running\n${run.stderr()}`).toEqual([]);
  expect(readdirSync(run.tmp), 'left in its TMPDIR').toEqual([]);
}

// The test's own safety net: whatever a failed assertion left is removed here.
afterEach(() => {
  for (const run of runs.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    for (const pid of tagged(run.tag)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(run.tmp, { recursive: true, force: true });
  }
});

describe('benchmarks leave nothing behind', () => {
  const cc = requirePeer('cc', which('cc') !== null, 'apt-get install gcc: the bench builds bench/rpcload.c');
  const uwsgi = requirePeer(
    'uwsgi',
    which('uwsgi') !== null,
    'apt-get install uwsgi-core uwsgi-plugin-python3 uwsgi-plugin-lua5.2',
  );

  beforeAll(() => {
    // the servers import dist/: built from the current sources, as `npm run bench` does
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
  }, 120_000);

  it('server suite through run.mjs, its load generator failing once the servers are up: exit 1, nothing left', async () => {
    const run = runBench('run.mjs', ['server', '--quick', '--rpcload', FAILING]);
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(1);
    // it failed half-way: the servers were up and the first measure is what failed
    expect(run.stderr()).toMatch(/bench server: \d+ servers/);
    expect(run.stderr()).toContain(`${FAILING} -c 16`);
    expect(run.stderr()).toMatch(/# server failed \(exit 1\)/);
    await expectNothingLeft(run);
  });

  it.skipIf(!cc)('server suite through run.mjs, SIGINT while it measures: exit 130, nothing left', async () => {
    const run = runBench('run.mjs', ['server', '--quick', '--secs', '2']);
    // every server up, the first rpcload starting
    await run.waitFor(/bench server: \d+ servers/);
    const before = tagged(run.tag);
    // run.mjs, the suite, 3 Node servers (one a primary with 2 workers), and uWSGI's masters and workers
    expect(before.length, before.map(describeProc).join('\n')).toBeGreaterThanOrEqual(uwsgi ? 15 : 7);
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(130);
    expect(run.stderr()).toMatch(/e2e\.bench\.mjs: SIGINT: stopping what it started/);
    await expectNothingLeft(run);
  });

  const netns = netnsUnavailable();
  const cluster =
    requirePeer('network namespaces', netns === null, netns ?? '') &&
    requirePeer(
      'uwsgi with the rawrouter, python3 and rpc plugins',
      hasUwsgiPlugins('rawrouter', 'python3', 'rpc'),
      'apt-get install uwsgi-core uwsgi-plugin-python3',
    );

  describe.skipIf(!cluster)('cluster suite (network namespaces)', () => {
    afterAll(() => cleanupStaleLabs());

    /** No namespace of the bench process's labs is left. */
    const labsOf = (pid: number) =>
      execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.split(' ')[0])
        .filter((ns) => ns.startsWith(`${NS_PREFIX}${pid}-`));

    it('its load generator failing once the lab runs: exit 1, the logs printed, no process, namespace nor /tmp/bench-cluster-* left', async () => {
      const run = runBench('cluster.bench.mjs', ['--quick', '--secs', '0.2', '--rpcload', FAILING]);
      const { code } = await run.exited;
      expect(code, run.stderr()).toBe(1);
      expect(run.stderr()).toMatch(/bench cluster: \d+ cases/);
      expect(run.stderr()).toMatch(/--- router\.log \(last \d+ lines\) ---/);
      await expectNothingLeft(run);
      expect(labsOf(run.child.pid!)).toEqual([]);
    });

    it('SIGINT while it measures: exit 130, no process, namespace nor temp folder left', async () => {
      const run = runBench('cluster.bench.mjs', ['--quick', '--secs', '1']);
      await run.waitFor(/round 1\/1: machine busy/); // the lab up, the first measure next
      expect(readdirSync(run.tmp).filter((f) => f.startsWith('bench-cluster-'))).toHaveLength(1);
      expect(tagged(run.tag).length).toBeGreaterThan(10); // router, 3 nodes x 2 stacks with their workers
      run.child.kill('SIGINT');
      const { code } = await run.exited;
      expect(code, run.stderr()).toBe(130);
      await expectNothingLeft(run);
      expect(labsOf(run.child.pid!)).toEqual([]);
    });
  });
});
