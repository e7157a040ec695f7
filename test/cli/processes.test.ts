// --processes N: workers on node:cluster share the TCP and unix sockets; a dead worker is
// replaced (as uWSGI's master does); SIGTERM/SIGINT to the primary stops them all gracefully.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
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
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.split('\n').length > 2) resolve({ child, out, err: () => err });
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${err}`)));
  });
}

describe('--processes', () => {
  it('2 workers answer on TCP and a unix socket; a killed worker is replaced; SIGTERM stops all', async () => {
    const sock = join(dir, 'w.sock');
    const s = await start(['--socket', '127.0.0.1:0', '--socket', sock, '--processes', '2', '--import', join(dir, 'pid.mjs')]);
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
      // (a connection the primary handed to the worker as it died is lost with it: node:cluster)
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

  it('a worker that cannot start (bad import) stops the primary with exit 1 instead of respawning forever', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--socket', '127.0.0.1:0', '--processes', '2', '--import', join(dir, 'missing.mjs')], { cwd: ROOT });
    let err = '';
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(err).toMatch(/exited before it was ready/);
  });

  it('a connection handed to a worker the moment it starts listening is served, and SIGINT still exits promptly', async () => {
    // The race is in one turn of the worker's event loop: several starts give it chances.
    for (let round = 0; round < 4; round++) {
      const port = await freePort();
      const child = spawn(process.execPath, [BIN, 'serve', '--socket', `127.0.0.1:${port}`, '--processes', '2', '--import', join(dir, 'pid.mjs')], { cwd: ROOT, stdio: 'ignore' });
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      try {
        // the first connection the port accepts: a call, so an unread one would also go unanswered
        let pid = '';
        const client = new RpcClient({ timeout: 5000 });
        for (let i = 0; pid === '' && i < 2000; i++) {
          pid = await client.call(`127.0.0.1:${port}`, 'pid').then((b) => Buffer.from(b).toString(), (err) => {
            if ((err as { code?: string }).code !== 'REFUSED') throw err;
            return '';
          });
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
