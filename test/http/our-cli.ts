import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'uwsgi-rpc.js');
/** A serve that neither gets ready nor exits by then is killed: nothing outlives a failed start. */
const READY_TIMEOUT_MS = 30_000;

/** The CLI runs from dist/: build it from the current sources first (once per file). */
export function buildOnce(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
}

export interface Ours {
  stdout(): string;
  stderr(): string;
  /** SIGINT, then the exit code. */
  stop(): Promise<number | null>;
}

/** `uwsgi-rpc serve ARGS`, resolved once it printed `lines` listening lines. */
export function serveOurs(args: string[], lines: number): Promise<Ours> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: ROOT });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ours: Ours = {
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  let timer: NodeJS.Timeout | undefined;
  return new Promise<Ours>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if ((out.match(/ on /g) ?? []).length >= lines) resolve(ours);
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.once('exit', (code) =>
      reject(new Error(`serve exited (${code}) before it was ready\nstdout: ${out}\nstderr: ${err}`)),
    );
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve was not ready after ${READY_TIMEOUT_MS} ms (killed)\nstdout: ${out}\nstderr: ${err}`));
    }, READY_TIMEOUT_MS);
  }).finally(() => clearTimeout(timer));
}
