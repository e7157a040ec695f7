// A worker of `serve --processes 2` SIGKILLed under per-call load, in each way the workers get
// their connections: every call is answered or fails typed, and the failures are what README's
// Operations section says: a reset (ECONNRESET) means the request was never read (the kernel resets
// a socket closed with bytes unread), so the call never ran; a plain close without an answer may
// follow a call that ran (it was running when the worker died). No call is left hanging until its
// timeout: with --shared-accept there is no hand-off, and the primary's own hand-off takes back the
// connections a dead worker had not taken and gives them to another (node:cluster's kept them open,
// unanswered). The function writes each call's id to a file as it starts, which tells the calls that ran.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { RpcError } from '../../src/rpc-error.js';
import { freePort, removeDir, tempDir } from '../helpers/processes.js';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'uwsgi-rpc.js');
const RAN = join(__dirname, 'fixtures', 'ran.mjs');
const CONCURRENCY = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Node lines whose net.Server takes reusePort (22.12+, 23.1+). */
function nodeHasReusePort(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

let dir: string;
beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
  dir = tempDir('faults-kill-');
});
afterAll(() => removeDir(dir));

/** Every call id the function wrote as it started, over all the worker files of `ranDir` (one line per run). */
function ranIds(ranDir: string): string[] {
  return readdirSync(ranDir).flatMap((f) => readFileSync(join(ranDir, f), 'utf8').split('\n').filter(Boolean));
}

interface Serving {
  child: ChildProcess;
  port: number;
  pids: number[];
  err: () => string;
}

async function serve(args: string[], ranDir: string): Promise<Serving> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--socket', `127.0.0.1:${port}`, '--processes', '2', '--import', RAN, ...args],
    { cwd: ROOT, env: { ...process.env, FAULTS_RAN_DIR: ranDir }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  for (let i = 0; ; i++) {
    const ready = /2 workers ready \(pids (\d+), (\d+);/.exec(err);
    if (ready) return { child, port, pids: [Number(ready[1]), Number(ready[2])], err: () => err };
    if (child.exitCode !== null || i > 400) {
      stop(child);
      throw new Error(`serve did not start: ${err}`);
    }
    await sleep(25);
  }
}

/** SIGINT to the primary (it stops its workers); whatever is left of the group is killed after 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

interface Outcome {
  answered: boolean;
  error?: RpcError;
}

const modes: [string, string[]][] = [
  ['the primary handing connections out', []],
  ['--shared-accept', ['--shared-accept']],
  ...(nodeHasReusePort() ? ([['--reuse-port', ['--reuse-port']]] as [string, string[]][]) : []),
];

describe(`one worker of --processes 2 SIGKILLed under ${CONCURRENCY} per-call callers (Node ${process.versions.node})`, () => {
  it.each(modes)('%s: every call answered or failed typed; a reset never ran', async (mode, args) => {
    const ranDir = tempDir('faults-ran-');
    const s = await serve(args, ranDir);
    const client = new RpcClient({ engine: 'ts', timeout: 2_000 });
    const outcomes = new Map<string, Outcome>();
    let id = 0;
    let running = true;
    let answered = 0;
    const loop = async () => {
      while (running) {
        const my = String(++id);
        try {
          await client.call(`127.0.0.1:${s.port}`, 'mark', [my, '5']);
          outcomes.set(my, { answered: true });
          answered++;
        } catch (e) {
          outcomes.set(my, { answered: false, error: e as RpcError });
        }
      }
    };
    try {
      const loops = Array.from({ length: CONCURRENCY }, loop);
      while (answered < 150) await sleep(10);
      process.kill(s.pids[0], 'SIGKILL');
      for (let i = 0; i < 400 && !/died \(signal SIGKILL\): starting another/.test(s.err()); i++) await sleep(10);
      expect(s.err()).toMatch(/died \(signal SIGKILL\): starting another/);
      const before = answered;
      for (let i = 0; i < 500 && answered < before + 150; i++) await sleep(10);
      running = false;
      await Promise.all(loops);
      // served again once the worker was replaced
      expect(answered).toBeGreaterThanOrEqual(before + 150);

      const ranLines = ranIds(ranDir);
      const ran = new Set(ranLines);
      // no call ran twice
      expect(ran.size).toBe(ranLines.length);
      const failures: Record<string, number> = {};
      for (const [call, o] of outcomes) {
        if (o.answered) {
          expect(ran.has(call)).toBe(true);
          continue;
        }
        const err = o.error!;
        expect(err).toBeInstanceOf(RpcError);
        expect(['NO_ANSWER', 'TIMEOUT', 'CONNECTION']).toContain(err.code);
        // refused before a connection existed (with --reuse-port, the dead worker's socket leaving the group)
        if (err.code === 'CONNECTION') expect(ran.has(call), `call ${call}: ${err.message}`).toBe(false);
        const cause = (err.cause as NodeJS.ErrnoException | undefined)?.code;
        // the kernel resets a socket closed with bytes unread: this request was never read
        if (cause === 'ECONNRESET') expect(ran.has(call), `call ${call}: ${err.message}`).toBe(false);
        const key = `${err.code}${cause ? ` (${cause})` : ''}, ${ran.has(call) ? 'ran' : 'never ran'}`;
        failures[key] = (failures[key] ?? 0) + 1;
      }
      console.info(
        `worker SIGKILLed, ${mode}: ${outcomes.size} calls, ${answered} answered, failed: ${JSON.stringify(failures)}`,
      );
      if (args.includes('--shared-accept'))
        expect(s.err()).toContain('every worker accepting on the shared sockets (SCHED_NONE)');
      // nothing waits in the primary for a dead worker
      expect(Object.keys(failures).filter((k) => k.startsWith('TIMEOUT'))).toEqual([]);
    } finally {
      running = false;
      await client.close();
      await stop(s.child);
      removeDir(ranDir);
    }
  });
});

describe('the primary takes back what a dead worker had not taken', () => {
  it('connections sent to a frozen worker, then SIGKILLed, are answered by another worker, each call run once', async () => {
    const ranDir = tempDir('faults-ran-');
    const s = await serve([], ranDir);
    const client = new RpcClient({ engine: 'ts', timeout: 10_000 });
    const [frozen] = s.pids;
    try {
      // frozen, it takes nothing: every connection the primary sends it stays the primary's
      process.kill(frozen, 'SIGSTOP');
      const calls = Array.from({ length: 12 }, (_, i) =>
        client.call(`127.0.0.1:${s.port}`, 'mark', [`frozen-${i}`, '0']).then((b) => Buffer.from(b).toString()),
      );
      await sleep(500);
      process.kill(frozen, 'SIGKILL');
      const pids = await Promise.all(calls);
      // round robin gave some of them to the frozen worker; all were answered elsewhere
      for (const pid of pids) expect(Number(pid)).not.toBe(frozen);
      const ranLines = ranIds(ranDir);
      expect(ranLines.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `frozen-${i}`).sort());
      expect(s.err()).toMatch(new RegExp(`worker ${frozen} died \\(signal SIGKILL\\): starting another`));
    } finally {
      try {
        process.kill(frozen, 'SIGKILL');
      } catch {
        /* gone */
      }
      await client.close();
      await stop(s.child);
      removeDir(ranDir);
    }
  });
});
