// A lab host's link made bad on purpose: latency, jitter (which reorders), loss, duplicates,
// carried by impair.c (a userspace netem: this machine's kernel has no netem qdisc). netns.mjs
// starts one per impaired host; this file builds the program and runs one copy of it.
//
// createLab is synchronous (every caller builds its lab in one go), so is everything here: the
// program's output goes to a file, and waiting on it sleeps the thread in short steps.
//
// Plain ESM with JSDoc types, like netns.mjs.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE = join(import.meta.dirname, 'impair.c');
/** How long the program may take to create its devices, or to answer a request for counters. */
const WAIT_MS = 5_000;
const STEP_MS = 10;

/**
 * What a link does to each frame, each way (as `tc qdisc add ... netem` would on both ends).
 * @typedef {object} LinkImpairment
 * @property {number} [delayMs] added to every frame (default 0)
 * @property {number} [jitterMs] plus or minus, around delayMs, uniform; frames leave in order of release, so it reorders (default 0)
 * @property {number} [lossPct] frames dropped per hundred (default 0)
 * @property {number} [duplicatePct] frames sent twice per hundred (default 0)
 * @property {number} [reorderPct] frames sent at once, undelayed, per hundred (netem's `reorder`; default 0)
 * @property {number} [seed] for the random draws, to repeat a run
 */

/**
 * Counters of one direction of an impaired link, as frames go.
 * @typedef {object} LinkDirection
 * @property {number} in @property {number} out @property {number} lost @property {number} duplicated
 * @property {number} hurried @property {number} reordered frames that left after one that came later
 * @property {number} overflow dropped: too many held @property {number} writeFailed
 */

/** @typedef {{ toHost: LinkDirection, fromHost: LinkDirection, held: number }} LinkStats */

/**
 * @typedef {object} ImpairedLink
 * @property {import('node:child_process').ChildProcess} child
 * @property {() => Promise<LinkStats>} stats the counters so far, both ways
 * @property {() => Promise<void>} stop
 * @property {() => void} kill SIGKILL, for a process on its way out
 */

/** @param {number} ms */
function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** @param {string} cmd */
function has(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Null when impaired links can be made here (besides network namespaces: netnsUnavailable),
 * else the reason, for requirePeer().
 * @returns {string | null}
 */
export function impairUnavailable() {
  if (!existsSync('/dev/net/tun')) return 'the TUN/TAP device /dev/net/tun is missing';
  if (!has('cc')) return 'a C compiler (cc) is needed to build test/helpers/impair.c: apt-get install gcc';
  return null;
}

/**
 * Builds impair.c into `dir`.
 * @param {string} dir
 * @returns {string} the program's path
 */
export function buildImpair(dir) {
  const bin = join(dir, 'impair');
  execFileSync('cc', ['-O2', '-Wall', '-o', bin, SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
  return bin;
}

/**
 * Starts one link: creates TAP `hubDev` in the hub's namespace and `hostDev` in the host's, the
 * program carrying frames between them; returns once both devices exist.
 * @param {{ bin: string, hub: string, hostNs: string, hostDev: string, hubDev: string, out: string, impairment: LinkImpairment }} o
 * @returns {ImpairedLink}
 */
export function startImpairedLink({ bin, hub, hostNs, hostDev, hubDev, out, impairment }) {
  const i = impairment;
  /** @type {[string, number | undefined][]} */
  const flags = [
    ['--delay', i.delayMs],
    ['--jitter', i.jitterMs],
    ['--loss', i.lossPct],
    ['--duplicate', i.duplicatePct],
    ['--reorder', i.reorderPct],
    ['--seed', i.seed],
  ];
  const args = ['--host-ns', `/run/netns/${hostNs}`, '--host-dev', hostDev, '--hub-dev', hubDev];
  for (const [flag, v] of flags) if (v !== undefined) args.push(flag, String(v));
  const fd = openSync(out, 'a');
  // In the hub's namespace: removing the hub kills it even if nothing else did.
  const child = spawn('ip', ['netns', 'exec', hub, bin, ...args], { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  const text = () => readFileSync(out, 'utf8');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const done = () => child.exitCode !== null || child.signalCode !== null;
  const until = Date.now() + WAIT_MS;
  while (!text().includes('ready\n')) {
    // a failure shows as a line of the program's own on the same file
    if (/^impair: /m.test(text()) || Date.now() > until) {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
      throw new Error(`impaired link ${hubDev}: ${text().trim() || `not ready after ${WAIT_MS} ms`}`);
    }
    sleepSync(STEP_MS);
  }
  return {
    child,
    async stats() {
      const lines = () =>
        text()
          .split('\n')
          .filter((l) => l.startsWith('{'));
      const seen = lines().length;
      if (!child.pid || done()) throw new Error(`impaired link ${hubDev} is not running`);
      child.kill('SIGUSR1');
      const deadline = Date.now() + WAIT_MS;
      while (lines().length === seen) {
        if (Date.now() > deadline) throw new Error(`impaired link ${hubDev}: no counters after ${WAIT_MS} ms`);
        await new Promise((r) => setTimeout(r, STEP_MS));
      }
      return JSON.parse(/** @type {string} */ (lines().at(-1)));
    },
    async stop() {
      if (!done()) child.kill('SIGTERM');
      await exited;
    },
    kill() {
      if (!done() && child.pid) process.kill(-child.pid, 'SIGKILL');
    },
  };
}
