// A network-namespace lab for cluster tests and benchmarks: real network hops between
// "hosts" on one machine, without touching the machine's own network.
//
// Layout of one lab: a hidden hub namespace holds a Linux bridge; every host is a namespace
// with `lo` up and one veth whose other end is a port of the hub's bridge, addressed in a
// private /24 (.1, .2, ... in the order given). The veth pairs are created straight inside
// the lab's namespaces, so the root namespace gets no interface, no address and no route:
// two labs using the same subnet at the same time cannot collide, and nothing in a lab can
// reach the machine's network (nor the test process, which stays in the root namespace).
// Interface names live per namespace, so they are fixed and short (br0, p1.., eth0);
// namespace names carry the creating pid so a crashed run's leftovers can be recognised.
// A host named in `impair` gets a bad link instead of the veth: two TAP devices (its eth0 and
// the bridge's port) with impair.c between them adding latency, jitter, loss (impair.mjs).
//
// Plain ESM with JSDoc types: bench/ (.mjs) imports it as well as the TypeScript tests.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImpair, startImpairedLink } from './impair.mjs';

/** Prefix of every namespace a lab creates: `urpc-<pid>-<lab>-<hub|host index>`. */
export const NS_PREFIX = 'urpc-';
const STALE = /^urpc-(\d+)-\d+-/;
/** Prefix of a lab's folder (impaired links' program and counters): `urpc-lab-<pid>-XXXXXX`. */
const DIR_PREFIX = 'urpc-lab-';
const STALE_DIR = /^urpc-lab-(\d+)-/;

/**
 * @typedef {object} LabOptions
 * @property {string} [subnet] first three octets of the lab's /24 (default '10.77.0')
 * @property {Record<string, import('./impair.mjs').LinkImpairment>} [impair] hosts whose link is bad, and how
 */

/**
 * @typedef {object} LabProcess
 * @property {import('node:child_process').ChildProcess} child its pid is the command's own (`ip netns exec` execs)
 * @property {string} log file holding its stdout and stderr
 * @property {() => string} logText the log's text so far
 * @property {() => Promise<void>} stop stopSignal to the command, SIGKILL to its process group after the timeout; resolves once it exited
 * @property {(signal?: NodeJS.Signals) => Promise<void>} kill signal (default SIGKILL) to its whole process group (uWSGI's master AND workers); resolves once the command exited
 * @property {Promise<void>} exited resolves when the command exits
 */

/**
 * @typedef {object} Lab
 * @property {string[]} hosts host names in the order given
 * @property {(host: string) => string} ip the host's address
 * @property {(host: string) => string} ns the host's namespace name
 * @property {(host: string, cmd: string, args: string[], opts: { log: string, stopSignal?: NodeJS.Signals, stopTimeoutMs?: number, env?: NodeJS.ProcessEnv }) => LabProcess} spawn
 * @property {(host: string, cmd: string, args: string[], opts?: { timeoutMs?: number, env?: NodeJS.ProcessEnv }) => Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }>} run
 * @property {(host: string, target: string, opts?: { child?: import('node:child_process').ChildProcess, timeoutMs?: number }) => Promise<void>} waitListening
 * @property {(host: string) => Promise<import('./impair.mjs').LinkStats>} linkStats an impaired host's link counters so far
 * @property {() => Promise<void>} destroy
 * @property {() => void} destroyNow synchronous destroy for a process on its way out: SIGKILL instead of each stopSignal
 */

/** @param {string[]} args */
function ip(args) {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but is not ours to signal: still alive.
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

/** @returns {string[]} every namespace name on the machine */
function namespaces() {
  return ip(['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
}

/**
 * Kills what still runs inside `ns`, then deletes it. Killing first matters: `ip netns del`
 * only drops the name; processes inside would keep the namespace (and their sockets) alive.
 * @param {string} ns
 */
function removeNamespace(ns) {
  /** @type {number[]} */
  let pids = [];
  try {
    pids = ip(['netns', 'pids', ns]).split('\n').filter(Boolean).map(Number);
  } catch {
    /* already gone */
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* exited meanwhile */
    }
  }
  try {
    ip(['netns', 'del', ns]);
  } catch {
    /* already gone */
  }
}

/** @type {string | null | undefined} */
let unavailable;

/**
 * Null when network namespaces can be made here (checked once by creating and deleting a
 * throwaway one), else the reason, for requirePeer().
 * @returns {string | null}
 */
export function netnsUnavailable() {
  if (unavailable !== undefined) return unavailable;
  if (process.platform !== 'linux') return (unavailable = `network namespaces need Linux, this is ${process.platform}`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return (unavailable = 'creating network namespaces needs root');
  const probe = `${NS_PREFIX}${process.pid}-0-probe`;
  try {
    ip(['netns', 'add', probe]);
    ip(['-n', probe, 'link', 'add', 'br0', 'type', 'bridge']);
    unavailable = null;
  } catch (err) {
    const e = /** @type {NodeJS.ErrnoException & { stderr?: string }} */ (err);
    unavailable =
      e.code === 'ENOENT'
        ? 'the `ip` command (iproute2) is missing'
        : `ip netns failed: ${String(e.stderr || e.message).trim()}`;
  }
  removeNamespace(probe);
  return unavailable;
}

/**
 * Removes the namespaces (and whatever runs in them) of labs whose creating process no
 * longer runs: leftovers of a run that crashed or was killed before destroy().
 */
export function cleanupStaleLabs() {
  for (const ns of namespaces()) {
    const m = STALE.exec(ns);
    if (m && !alive(Number(m[1]))) removeNamespace(ns);
  }
  for (const name of readdirSync(tmpdir())) {
    const m = STALE_DIR.exec(name);
    if (m && !alive(Number(m[1]))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

let labCount = 0;

/**
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    /* the group is gone */
  }
}

/**
 * Creates a lab with one namespace per host (see the file's head).
 * @param {string[]} hostNames
 * @param {LabOptions} [options]
 * @returns {Lab}
 */
export function createLab(hostNames, options = {}) {
  const subnet = options.subnet ?? '10.77.0';
  if (new Set(hostNames).size !== hostNames.length || hostNames.length === 0 || hostNames.length > 250) {
    throw new Error(`createLab: 1..250 distinct host names, got ${JSON.stringify(hostNames)}`);
  }
  const impair = options.impair ?? {};
  for (const h of Object.keys(impair)) {
    if (!hostNames.includes(h)) throw new Error(`createLab: impair names ${h}, not a host of this lab`);
  }
  cleanupStaleLabs();
  const base = `${NS_PREFIX}${process.pid}-${++labCount}-`;
  const hub = `${base}hub`;
  /** @type {Map<string, { ns: string, ip: string }>} */
  const hosts = new Map(hostNames.map((h, i) => [h, { ns: `${base}${i + 1}`, ip: `${subnet}.${i + 1}` }]));
  /** @type {Set<LabProcess>} */
  const running = new Set();
  let destroyed = false;

  const made = [hub, ...[...hosts.values()].map((h) => h.ns)];
  /** @type {Map<string, import('./impair.mjs').ImpairedLink>} */
  const links = new Map();
  const dir = Object.keys(impair).length > 0 ? mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`)) : null;
  const removeAll = () => {
    for (const link of links.values()) link.kill();
    for (const ns of made) removeNamespace(ns);
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const bin = dir ? buildImpair(dir) : '';
    ip(['netns', 'add', hub]);
    ip(['-n', hub, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', hub, 'link', 'set', 'br0', 'up']);
    let port = 0;
    for (const [name, h] of hosts) {
      ip(['netns', 'add', h.ns]);
      const p = `p${++port}`;
      const bad = impair[name];
      if (bad && dir) {
        links.set(
          name,
          startImpairedLink({
            bin,
            hub,
            hostNs: h.ns,
            hostDev: 'eth0',
            hubDev: p,
            out: join(dir, `${p}.out`),
            impairment: bad,
          }),
        );
      } else {
        // Both ends are born inside the lab: the hub's end, and eth0 moved into the host.
        ip(['-n', hub, 'link', 'add', p, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns]);
      }
      ip(['-n', hub, 'link', 'set', p, 'master', 'br0', 'up']);
      ip(['-n', h.ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', 'eth0']);
      ip(['-n', h.ns, 'link', 'set', 'eth0', 'up']);
    }
  } catch (err) {
    removeAll();
    throw err;
  }

  /** @param {string} host */
  function get(host) {
    const h = hosts.get(host);
    if (!h) throw new Error(`no host ${host} in this lab (${hostNames.join(', ')})`);
    if (destroyed) throw new Error('the lab is destroyed');
    return h;
  }

  /** @type {Lab['spawn']} */
  function spawnIn(host, cmd, args, { log, stopSignal = 'SIGTERM', stopTimeoutMs = 10_000, env }) {
    const fd = openSync(log, 'a');
    // detached: the command leads a process group of its own, so kill() reaches uWSGI's
    // workers too; `ip netns exec` execs the command, so child.pid is the command's pid.
    const child = spawn('ip', ['netns', 'exec', get(host).ns, cmd, ...args], {
      stdio: ['ignore', fd, fd],
      detached: true,
      env,
    });
    closeSync(fd);
    /** @type {Promise<void>} */
    const exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const done = () => child.exitCode !== null || child.signalCode !== null;
    /** @type {LabProcess} */
    const proc = {
      child,
      log,
      exited,
      logText: () => {
        try {
          return readFileSync(log, 'utf8');
        } catch {
          return '';
        }
      },
      async stop() {
        if (!done() && child.pid) {
          child.kill(stopSignal);
          const timer = setTimeout(() => killGroup(/** @type {number} */ (child.pid), 'SIGKILL'), stopTimeoutMs);
          await exited;
          clearTimeout(timer);
        }
        // Anything of the group left behind (a worker that outlived its master).
        if (child.pid) killGroup(child.pid, 'SIGKILL');
      },
      async kill(signal = 'SIGKILL') {
        if (!done() && child.pid) killGroup(child.pid, signal);
        await exited;
      },
    };
    running.add(proc);
    exited.then(() => running.delete(proc));
    return proc;
  }

  /** @type {Lab['run']} */
  function run(host, cmd, args, { timeoutMs = 30_000, env } = {}) {
    const child = spawn('ip', ['netns', 'exec', get(host).ns, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s) => {
      stderr += s;
    });
    const timer = setTimeout(() => {
      if (child.pid) killGroup(child.pid, 'SIGKILL');
    }, timeoutMs);
    return new Promise((resolve, reject) => {
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      // 'close', not 'exit': the output may still be in the pipes at exit.
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  /** @type {Lab['waitListening']} */
  async function waitListening(host, target, { child, timeoutMs = 15_000 } = {}) {
    const i = target.lastIndexOf(':');
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (child && (child.exitCode !== null || child.signalCode !== null)) {
        throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before listening on ${target}`);
      }
      // The test process cannot reach lab addresses: try a connect from inside the host.
      const r = await run(host, 'bash', ['-c', 'exec 3<>"/dev/tcp/$0/$1"', target.slice(0, i), target.slice(i + 1)], {
        timeoutMs: 5_000,
      });
      if (r.code === 0) return;
      if (Date.now() > until) throw new Error(`nothing listens on ${target} (seen from ${host}) after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    hosts: [...hostNames],
    ip: (host) => get(host).ip,
    ns: (host) => get(host).ns,
    spawn: spawnIn,
    run,
    waitListening,
    async linkStats(host) {
      get(host);
      const link = links.get(host);
      if (!link) throw new Error(`host ${host}'s link is not impaired`);
      return link.stats();
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await Promise.all([...running].map((p) => p.stop()));
      await Promise.all([...links.values()].map((l) => l.stop()));
      removeAll();
    },
    destroyNow() {
      destroyed = true;
      for (const p of running) if (p.child.pid) killGroup(p.child.pid, 'SIGKILL');
      removeAll();
    },
  };
}
