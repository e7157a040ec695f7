// --processes N: workers on node:cluster share the TCP and unix sockets; a dead worker is
// replaced (as uWSGI's master does); SIGTERM/SIGINT to the primary stops them all gracefully.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { freePort, removeDir, tempDir } from '../helpers/processes.js';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'uwsgi-rpc.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
  dir = tempDir();
  writeFileSync(join(dir, 'pid.mjs'), "export default (rpc) => { rpc.register('pid', () => String(process.pid)); };\n");
});
afterAll(() => removeDir(dir));

function start(args: string[]): Promise<{ child: ChildProcess; out: string; err: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: ROOT });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.split('\n').length > 2) resolve({ child, out, err: () => err });
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${err}`)));
  });
}

/** Pids holding a listening TCP socket on 127.0.0.1:port (Linux /proc: the sockets' inodes, then whose fds point at them). */
function listeningOwners(port: number): number[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set(
    readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1] === `0100007F:${hexPort}` && f[3] === '0A')
      .map((f) => `socket:[${f[9]}]`),
  );
  const owners: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    if (
      fds.some((fd) => {
        try {
          return inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
        } catch {
          return false;
        }
      })
    )
      owners.push(Number(pid));
  }
  return owners.sort((a, b) => a - b);
}

/** Node lines whose net.Server takes reusePort (22.12+, 23.1+); Node 20 ignores it. */
function nodeHasReusePort(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

describe('--processes', () => {
  it('2 workers answer on TCP and a unix socket; a killed worker is replaced; SIGTERM stops all', async () => {
    const sock = join(dir, 'w.sock');
    const s = await start([
      '--socket',
      '127.0.0.1:0',
      '--socket',
      sock,
      '--processes',
      '2',
      '--import',
      join(dir, 'pid.mjs'),
    ]);
    const exited = new Promise<number | null>((r) => s.child.once('exit', (code) => r(code)));
    try {
      const lines = s.out.trim().split('\n');
      expect(lines).toHaveLength(2);
      const tcp = lines[0].replace('uwsgi-rpc: uwsgi socket on ', '');
      expect(lines[1]).toBe(`uwsgi-rpc: uwsgi socket on ${sock}`);
      const client = new RpcClient({ engine: 'ts' });
      const pids = async (node: string, want: number, not: Set<string> = new Set()) => {
        const seen = new Set<string>();
        for (let i = 0; i < 200 && seen.size < want; i++) {
          const pid = Buffer.from(await client.call(node, 'pid')).toString();
          if (!not.has(pid)) seen.add(pid);
        }
        return seen;
      };
      const first = await pids(tcp, 2);
      expect(first.size).toBe(2);
      expect(await pids(sock, 2)).toEqual(first);
      const [victim] = first;
      process.kill(Number(victim), 'SIGKILL');
      // calls go on being answered meanwhile, by the survivor, then by the new worker too
      // (a call running in the worker as it died fails with it; a connection it had not taken yet goes to another)
      const after = new Set<string>();
      let lost = 0;
      for (let i = 0; i < 400 && after.size < 2; i++) {
        try {
          after.add(Buffer.from(await client.call(tcp, 'pid', [], { timeout: 500 })).toString());
        } catch {
          lost++;
        }
        await sleep(5);
      }
      expect(lost).toBeLessThan(5);
      expect(after.size).toBe(2);
      expect(after.has(victim)).toBe(false);
      await client.close();
      expect(s.err()).toMatch(new RegExp(`worker ${victim} died \\(signal SIGKILL\\): starting another`));
    } finally {
      s.child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(s.err()).toMatch(/SIGTERM: stopping 2 workers/);
    expect(existsSync(sock)).toBe(false);
  });

  /** serve --processes 2 on a fixed port; resolves once the primary says its workers are ready. */
  async function twoWorkers(extra: string[]) {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--socket', `127.0.0.1:${port}`, '--processes', '2', '--import', join(dir, 'pid.mjs'), ...extra],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let err = '';
    const ready = new Promise<boolean>((resolve) => {
      child.stderr!.on('data', (c: Buffer) => {
        err += c.toString();
        if (/workers ready/.test(err)) resolve(true);
      });
      child.once('exit', () => resolve(false));
    });
    return { port, child, exited, ready, err: () => err };
  }

  /** The pids of the workers that answer calls on the port. */
  async function workerPids(port: number): Promise<number[]> {
    const client = new RpcClient({ engine: 'ts' });
    const workers = new Set<number>();
    for (let i = 0; i < 200 && workers.size < 2; i++)
      workers.add(Number(Buffer.from(await client.call(`127.0.0.1:${port}`, 'pid')).toString()));
    await client.close();
    return [...workers].sort((a, b) => a - b);
  }

  it('TCP sockets by default: the primary holds the socket and hands connections out', async () => {
    const s = await twoWorkers([]);
    try {
      expect(await s.ready, s.err()).toBe(true);
      expect(await workerPids(s.port)).toHaveLength(2);
      expect(listeningOwners(s.port)).toEqual([s.child.pid]);
      expect(s.err()).toContain('connections handed out by the primary');
    } finally {
      s.child.kill('SIGINT');
    }
    expect(await s.exited).toBe(0);
  });

  it(`--reuse-port: ${nodeHasReusePort() ? 'each worker binds its own socket (SO_REUSEPORT) and the kernel spreads connections' : 'refused with the reason on this runtime'} (Node ${process.versions.node})`, async () => {
    const s = await twoWorkers(['--reuse-port']);
    try {
      if (nodeHasReusePort()) {
        expect(await s.ready, s.err()).toBe(true);
        const workers = await workerPids(s.port);
        expect(workers).toHaveLength(2);
        expect(listeningOwners(s.port)).toEqual(workers);
        expect(s.err()).toContain('TCP connections spread by the kernel (SO_REUSEPORT)');
      } else {
        expect(await s.ready).toBe(false);
        expect(await s.exited).toBe(2);
        expect(s.err()).toMatch(/--reuse-port: this runtime \(Node [\d.]+\) cannot share a port between processes/);
      }
    } finally {
      s.child.kill('SIGINT');
    }
    if (nodeHasReusePort()) expect(await s.exited).toBe(0);
  });

  it('a worker that cannot start (bad import) stops the primary with exit 1 instead of respawning forever', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--socket', '127.0.0.1:0', '--processes', '2', '--import', join(dir, 'missing.mjs')],
      { cwd: ROOT },
    );
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(err).toMatch(/exited before it was ready/);
  });

  it('a connection handed to a worker the moment it starts listening is served, and SIGINT still exits promptly', async () => {
    // The race is in one turn of the worker's event loop: several starts give it chances.
    for (let round = 0; round < 4; round++) {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [BIN, 'serve', '--socket', `127.0.0.1:${port}`, '--processes', '2', '--import', join(dir, 'pid.mjs')],
        { cwd: ROOT, stdio: 'ignore' },
      );
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      try {
        // the first connection the port accepts: a call, so an unread one would also go unanswered
        let pid = '';
        const client = new RpcClient({ timeout: 5000 });
        for (let i = 0; pid === '' && i < 2000; i++) {
          pid = await client.call(`127.0.0.1:${port}`, 'pid').then(
            (b) => Buffer.from(b).toString(),
            (err) => {
              if ((err as { code?: string }).code !== 'REFUSED') throw err;
              return '';
            },
          );
          if (pid === '') await sleep(2);
        }
        await client.close();
        expect(pid).toMatch(/^\d+$/);
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
        expect(await exited, 'exit code (null: it hung and was killed)').toBe(0);
        clearTimeout(timer);
      } finally {
        // a failed round must not leave the primary (nor, through it, its workers) running
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
      }
    }
  });
});
