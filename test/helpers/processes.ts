import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, readdirSync, rmSync, closeSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (bind 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix = 'uwsgi-rpc-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Resolves once something accepts connections at `target` (host:port or a unix path). */
export async function waitListening(target: string, child?: ChildProcess, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null)
      throw new Error(`process exited (${child.exitCode}) before listening on ${target}`);
    const ok = await new Promise<boolean>((resolve) => {
      const i = target.lastIndexOf(':');
      const s = target.startsWith('/') ? connect(target) : connect(Number(target.slice(i + 1)), target.slice(0, i));
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on ${target} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Peer {
  child: ChildProcess;
  log: string;
  /** The log's text so far (for assertions and failure messages). */
  logText(): string;
  /**
   * Stops the process with `signal` and waits for it to exit (SIGKILL after 10 s); then
   * SIGKILLs what is left of the processes it had started (workers that outlived it).
   */
  stop(): Promise<void>;
}

/** pid -> start time (clock ticks since boot) of every process now; empty where there is no /proc. */
function processTable(): Map<number, { ppid: number; start: string }> {
  const all = new Map<number, { ppid: number; start: string }>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return all;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    } // exited meanwhile
    // the command (field 2) may hold spaces and parentheses: split after its last ')'
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    all.set(Number(name), { ppid: Number(f[1]), start: f[19] });
  }
  return all;
}

/** The descendants of `pid` now, each with its start time (a pid reused later is not theirs). */
function descendants(pid: number): Map<number, string> {
  const all = processTable();
  const found = new Map<number, string>();
  const stack = [pid];
  while (stack.length) {
    const parent = stack.pop()!;
    for (const [p, { ppid, start }] of all) {
      if (ppid === parent && !found.has(p)) {
        found.set(p, start);
        stack.push(p);
      }
    }
  }
  return found;
}

/** SIGKILL to each of `family` that still runs as the same process. */
function killLeft(family: Map<number, string>): void {
  if (family.size === 0) return;
  const now = processTable();
  for (const [pid, start] of family) {
    if (now.get(pid)?.start === start) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* exited meanwhile */
      }
    }
  }
}

/**
 * Starts a real peer process with its output in `log`. `stopSignal`: uWSGI needs SIGINT
 * (SIGTERM makes it reload), nginx takes SIGQUIT.
 */
export function startPeer(cmd: string, args: string[], log: string, stopSignal: NodeJS.Signals): Peer {
  const fd = openSync(log, 'a');
  // Not a process group of its own: a Ctrl-C on the test run still reaches the peer.
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let failed = false; // could not be started at all: no 'exit' comes
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => {
      failed = true;
      resolve();
    });
  });
  return {
    child,
    log,
    logText: () => {
      try {
        return readFileSync(log, 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      if (failed || child.exitCode !== null || child.signalCode !== null || !child.pid) return;
      const family = descendants(child.pid);
      child.kill(stopSignal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      killLeft(family);
    },
  };
}

/**
 * uWSGI in the foreground (master + 1 worker unless args say otherwise), stopped with SIGINT.
 * `plugins` e.g. 'python3,rpc' (Debian ships the RPC server part as its own plugin).
 */
export async function startUwsgi(plugins: string, args: string[], waitFor: string[], dir: string): Promise<Peer> {
  const peer = startPeer(
    'uwsgi',
    ['--plugin', plugins, '--master', '--no-orphans', '--buffer-size', '65535', '--die-on-term', ...args],
    join(dir, 'uwsgi.log'),
    'SIGINT',
  );
  try {
    for (const t of waitFor) await waitListening(t, peer.child);
  } catch (err) {
    await peer.stop();
    throw new Error(`${(err as Error).message}\n--- uwsgi log ---\n${peer.logText()}`);
  }
  return peer;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
