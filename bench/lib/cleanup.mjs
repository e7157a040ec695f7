// What a bench script starts (servers, load generators, labs, temp folders) is registered here
// and stopped on every way out: the normal end, an error half-way (uncaught exception,
// unhandled rejection), SIGINT, SIGTERM and SIGHUP. A failed run once left a server running
// under pid 1 and a /tmp/bench-cluster-* folder behind.
//
// Processes run in a process group of their own (detached), so stopping one also reaches its
// workers (uWSGI's, node:cluster's): the stop signal goes to the command (uWSGI wants SIGINT:
// SIGTERM reloads it), SIGKILL to the whole group after a grace, and once the command has
// exited whatever is left of its group is killed too.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';

/** How long a stopped process may take before SIGKILL to its group. */
const GRACE_MS = 5_000;
/** Exit codes after a signal: 128 + its number, as a shell reports them. */
const SIGNAL_EXIT = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** An error meant for the user: printed as one line (no stack), exit 1. */
export class BenchError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'BenchError';
    this.code = code;
  }
}

/**
 * Registered resources, stopped in two waves: processes and labs first, then folders (a
 * process may still write its log into one). stop() is async; kill() is the synchronous last
 * resort run from process.on('exit').
 */
const running = new Set();
const folders = new Set();

/** Registers { stop(): Promise, kill(): void, graceMs? }; returns a function that forgets it. */
export function register(resource) {
  running.add(resource);
  return () => running.delete(resource);
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    /* the group is gone */
  }
}

/**
 * @typedef {{ code: number | null, signal: NodeJS.Signals | null, error?: Error }} Exit
 * @typedef {import('node:child_process').ChildProcess & { exited: Promise<Exit>, stop(): Promise<void> }} GroupChild
 */

/**
 * spawn() in a process group of its own, registered until its command exits (and then its
 * group is killed: no worker outlives its master). Returns the child with
 * `exited` (a Promise of { code, signal }) and `stop()`: `stopSignal` to the command,
 * SIGKILL to the group after `graceMs`, resolves once it exited.
 * @param {import('node:child_process').SpawnOptions} [options]
 * @returns {GroupChild}
 */
export function spawnGroup(cmd, args, options = {}, { stopSignal = 'SIGTERM', graceMs = GRACE_MS } = {}) {
  const child = /** @type {GroupChild} */ (spawn(cmd, args, { ...options, detached: true }));
  let done = false;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    // could not be spawned (no 'exit' follows); an 'error' of a running child (a failed kill) is not an exit
    child.on('error', (error) => {
      if (child.pid === undefined) {
        done = true;
        resolve({ code: null, signal: null, error });
      }
    });
  });
  const resource = {
    graceMs,
    async stop() {
      if (!done && child.pid) {
        try {
          child.kill(/** @type {NodeJS.Signals} */ (stopSignal));
        } catch {
          /* exited meanwhile */
        }
        const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      await exited;
    },
    kill() {
      if (child.pid) killGroup(child.pid, 'SIGKILL');
    },
  };
  const forget = register(resource);
  exited.then(() => {
    if (child.pid) killGroup(child.pid, 'SIGKILL'); // what the command left in its group
    forget();
  });
  child.exited = exited;
  child.stop = () => resource.stop();
  return child;
}

/** A fresh folder under os.tmpdir() (TMPDIR), removed at the latest when the script ends. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  folders.add(dir);
  return dir;
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  folders.delete(dir);
}

/** Stops every registered resource, then removes the folders. */
async function stopAll() {
  await Promise.all(
    [...running].map((r) =>
      Promise.resolve()
        .then(() => r.stop())
        .catch((e) => {
          process.stderr.write(`bench cleanup: ${e?.message ?? e}\n`);
          r.kill();
        }),
    ),
  );
  running.clear();
  for (const dir of folders) removeDir(dir);
}

function killAllNow() {
  for (const r of running) r.kill();
  running.clear();
  for (const dir of folders) {
    try {
      removeDir(dir);
    } catch {
      /* best effort on the way out */
    }
  }
}

let shuttingDown = false;
/** True once a signal or a fatal error started the shutdown: the script's own flow should stop. */
export const stopping = () => shuttingDown;

async function shutdown(code) {
  shuttingDown = true;
  const grace = Math.max(GRACE_MS, ...[...running].map((r) => r.graceMs ?? 0));
  const force = setTimeout(() => {
    killAllNow();
    process.exit(code);
  }, grace + 2_000);
  force.unref();
  await stopAll();
  process.exit(code);
}

function fatal(err) {
  // During a shutdown the script's own flow fails as its processes go: expected, not news.
  if (shuttingDown) return;
  if (err instanceof BenchError) process.stderr.write(`bench: ${err.message}\n`);
  else process.stderr.write(`${err?.stack ?? err}\n`);
  shutdown(1);
}

for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
  process.on(signal, () => {
    if (shuttingDown) {
      // a second signal: no more waiting
      killAllNow();
      process.exit(code);
    }
    process.stderr.write(`\n${basename(process.argv[1] ?? 'bench')}: ${signal}: stopping what it started\n`);
    shutdown(code);
  });
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
// process.exit() from anywhere (a suite's own early exit, playwright's SIGINT handler): only
// synchronous work runs here, so SIGKILL to every group left and remove the folders.
process.on('exit', killAllNow);
