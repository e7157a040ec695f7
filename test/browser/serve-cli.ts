import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** A serve that neither gets ready nor exits by then is killed: nothing outlives a failed start. */
const READY_TIMEOUT_MS = 30_000;

export interface Served {
  child: ChildProcess;
  /** stdout lines printed once ready. */
  lines: string[];
  stderr(): string;
  stop(): Promise<void>;
}

/** `node bin/uwsgi-rpc.js serve ...args` (built first, as a user runs it); resolves once it printed `expect` lines. */
export async function serveCli(args: string[], expect: number): Promise<Served> {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'uwsgi-rpc.js'), 'serve', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let timer: NodeJS.Timeout | undefined;
  const lines = await new Promise<string[]>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const l = out.split('\n').filter(Boolean);
      if (l.length >= expect) resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before it was ready: ${err}`)));
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve was not ready after ${READY_TIMEOUT_MS} ms (killed): ${err}`));
    }, READY_TIMEOUT_MS);
  }).finally(() => clearTimeout(timer));
  return {
    child,
    lines,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}
