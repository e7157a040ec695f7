// Self-test of the network-namespace lab (test/helpers/netns.mjs) the cluster tests run in.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupStaleLabs, createLab, netnsUnavailable, NS_PREFIX, type Lab } from '../helpers/netns.mjs';
import { requirePeer } from '../helpers/peers.js';
import { removeDir, tempDir } from '../helpers/processes.js';

const reason = netnsUnavailable();
const usable = requirePeer('network namespaces', reason === null, reason ?? '');

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const namespaces = (): string[] =>
  ip('netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
/** Polls `cond` (every 20 ms, at most 5 s): whether it came to hold. */
async function until(cond: () => boolean, ms = 5_000): Promise<boolean> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 20)))
    if (Date.now() > end) return false;
  return true;
}
const rootLinks = (): string[] =>
  ip('-o', 'link')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(': ')[1].split('@')[0]);

// A TCP server answering every connection with its own address (waitListening's probe
// closes at once: its reset must not kill the server), and a client printing the answer.
const SERVER = `require('net').createServer((s) => { s.on('error', () => {}); s.end(s.localAddress); }).listen(+process.argv[2], process.argv[1])`;
const CLIENT = `const s = require('net').connect(+process.argv[2], process.argv[1]); let d = ''; s.on('data', (c) => d += c); s.on('end', () => process.stdout.write(d)); s.on('error', (e) => { console.error(e.code); process.exit(1); })`;

describe.skipIf(!usable)('network-namespace lab', () => {
  let lab: Lab;
  let dir: string;
  let linksBefore: string[];

  beforeAll(() => {
    dir = tempDir();
    linksBefore = rootLinks();
    lab = createLab(['a', 'b']);
  });

  afterAll(async () => {
    await lab?.destroy();
    removeDir(dir);
  });

  it('gives each host its own namespace and the next address of the /24', () => {
    expect(lab.ip('a')).toBe('10.77.0.1');
    expect(lab.ip('b')).toBe('10.77.0.2');
    expect(lab.ns('a')).not.toBe(lab.ns('b'));
    expect(lab.ns('a').startsWith(`${NS_PREFIX}${process.pid}-`)).toBe(true);
    expect(namespaces()).toEqual(expect.arrayContaining([lab.ns('a'), lab.ns('b')]));
    expect(() => lab.ip('nope')).toThrow(/no host nope/);
  });

  it("a process in a host sees only that host's address (and loopback)", async () => {
    const r = await lab.run('a', 'ip', ['-4', '-o', 'addr']);
    expect(r.code).toBe(0);
    const addrs = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/\s+/)[3])
      .sort();
    expect(addrs).toEqual(['10.77.0.1/24', '127.0.0.1/8']);
  });

  it('hosts reach each other over TCP across the bridge', async () => {
    const server = lab.spawn('b', process.execPath, ['-e', SERVER, lab.ip('b'), '4000'], {
      log: join(dir, 'server.log'),
    });
    await lab.waitListening('a', `${lab.ip('b')}:4000`, { child: server.child });
    const r = await lab.run('a', process.execPath, ['-e', CLIENT, lab.ip('b'), '4000']);
    expect(r.stderr, JSON.stringify([r, server.logText()])).toBe('');
    expect(r.stdout).toBe(lab.ip('b'));
    await server.stop();
  });

  it('adds nothing to the root namespace: no link, no address of the lab', () => {
    // Checked without sending a packet: a connect attempt from here would leave through the
    // machine's default route. The lab's veths are born inside the lab, so root has no path.
    expect(rootLinks().filter((l) => !linksBefore.includes(l))).toEqual([]);
    expect(ip('-4', '-o', 'addr')).not.toContain('10.77.0.');
  });

  it('spawn() runs the command itself (ip netns exec execs), so signals reach it', async () => {
    const sleeper = lab.spawn('a', 'sleep', ['600'], { log: join(dir, 'sleep.log'), stopSignal: 'SIGINT' });
    // `ip netns exec` runs first under that pid, then execs the command
    const comm = () => {
      try {
        return readFileSync(`/proc/${sleeper.child.pid}/comm`, 'utf8').trim();
      } catch {
        return '';
      }
    };
    expect(await until(() => comm() === 'sleep'), comm()).toBe(true);
    await sleeper.stop();
    expect(sleeper.child.signalCode).toBe('SIGINT');
  });

  it('kill() takes the whole process group, children included', async () => {
    const parent = lab.spawn('a', 'bash', ['-c', 'sleep 600 & sleep 600 & wait'], { log: join(dir, 'group.log') });
    const pids = () => ip('netns', 'pids', lab.ns('a')).trim().split('\n').filter(Boolean);
    // bash and both of its children running (and bash itself, not `ip netns exec`)
    const running = () => {
      try {
        return readFileSync(`/proc/${parent.child.pid}/comm`, 'utf8').trim() === 'bash' && pids().length === 3;
      } catch {
        return false;
      }
    };
    expect(await until(running), pids().join(' ')).toBe(true);
    await parent.kill();
    // the children die with the group; they may be reaped a moment after bash
    expect(await until(() => pids().length === 0), pids().join(' ')).toBe(true);
  });

  it('waitListening() fails fast when the process died', async () => {
    const dead = lab.spawn('b', 'false', [], { log: join(dir, 'false.log') });
    await dead.exited;
    await expect(lab.waitListening('a', `${lab.ip('b')}:4001`, { child: dead.child })).rejects.toThrow(
      /exited \(1\) before listening/,
    );
  });

  it('run() reports exit code and output, and kills a command that overruns', async () => {
    const r = await lab.run('a', 'bash', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toEqual({ code: 3, signal: null, stdout: 'out\n', stderr: 'err\n' });
    const slow = await lab.run('a', 'sleep', ['600'], { timeoutMs: 100 });
    expect(slow.signal).toBe('SIGKILL');
  });

  it('two labs at once use the same subnet without colliding', async () => {
    const other = createLab(['x']);
    try {
      expect(other.ip('x')).toBe(lab.ip('a'));
      const r = await other.run('x', 'ip', ['-4', '-o', 'addr', 'show', 'eth0']);
      expect(r.stdout).toContain('10.77.0.1/24');
    } finally {
      await other.destroy();
    }
  });

  it('destroy() stops what runs and leaves no namespace behind; it is idempotent', async () => {
    const mine = createLab(['p', 'q']);
    const names = [mine.ns('p'), mine.ns('q')];
    const left = mine.spawn('p', 'sleep', ['600'], { log: join(dir, 'left.log') });
    await mine.destroy();
    await mine.destroy();
    expect(left.child.exitCode !== null || left.child.signalCode !== null).toBe(true);
    const after = namespaces();
    for (const ns of names) expect(after).not.toContain(ns);
    // The hub too: nothing of that lab is left.
    const prefix = names[0].slice(0, names[0].lastIndexOf('-') + 1);
    expect(after.filter((n) => n.startsWith(prefix))).toEqual([]);
    expect(() => mine.ip('p')).toThrow(/destroyed/);
  });

  it('cleanupStaleLabs() removes namespaces of a process that no longer runs, and keeps live ones', () => {
    const gone = spawnSync('true').pid!;
    const stale = `${NS_PREFIX}${gone}-1-hub`;
    ip('netns', 'add', stale);
    cleanupStaleLabs();
    const after = namespaces();
    expect(after).not.toContain(stale);
    expect(after).toContain(lab.ns('a'));
  });
});
