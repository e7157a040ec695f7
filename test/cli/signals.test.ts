// SIGINT the moment `serve` prints its first ready line: its handlers must already be in
// place, so it closes and exits 0 (it must not die of the signal, nor ignore it), and with
// --processes its workers go too.
import { spawn } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/index.js';
import { removeDir, tempDir } from '../helpers/processes.js';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'uwsgi-rpc.js');
const ROUNDS = 10;
/** Only to detect a hang (the graceful close waits up to 10 s for calls; none run here). */
const HANG = 8_000;

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => removeDir(dir));

/** Pids of live processes whose command line holds `marker` (a path only these tests use). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // it ended meanwhile
    }
  }
  return pids;
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  hung: boolean;
  stderr: string;
}

/** Starts serve, sends SIGINT in the same turn as the first stdout line arrives, waits for the exit. */
async function interruptAtReady(args: string[]): Promise<Outcome> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdout.on('data', (c: Buffer) => {
    const first = !out.includes('\n');
    out += c.toString();
    if (first && out.includes('\n')) child.kill('SIGINT');
  });
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, HANG);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) =>
    child.once('exit', (c, s) => r([c, s])),
  );
  clearTimeout(timer);
  return { code, signal, hung, stderr };
}

describe.skipIf(process.platform !== 'linux')('SIGINT at the first ready line', () => {
  it.each([
    ['one process', [], 'SIGINT: closing'],
    ['--processes 2', ['--processes', '2'], 'SIGINT: stopping 2 workers'],
  ])(
    `%s: exits 0, every time of ${ROUNDS}, leaving no process behind`,
    async (_name, extra, said) => {
      for (let round = 0; round < ROUNDS; round++) {
        // a path of its own in every command line (the workers' too): what is left can be found
        const marker = join(dir, `fns-${extra.length}-${round}.mjs`);
        copyFileSync(join(__dirname, 'fixtures', 'default-style.mjs'), marker);
        try {
          const r = await interruptAtReady(['--socket', '127.0.0.1:0', '--import', marker, ...extra]);
          const where = `round ${round}: ${JSON.stringify(r)}`;
          expect(r.hung, where).toBe(false);
          expect([r.code, r.signal], where).toEqual([0, null]);
          expect(r.stderr, where).toContain(said);
          expect(processesWith(marker), where).toEqual([]);
        } finally {
          for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
        }
      }
    },
    120_000,
  );
});

describe('a second signal', () => {
  it('while a call runs: serve gives up waiting for it and exits 1', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--socket', '127.0.0.1:0', '--import', 'test/cli/fixtures/default-style.mjs'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('exit', (c, s) => r([c, s])));
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const until = async (what: () => boolean) => {
      for (let i = 0; i < 400 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
      expect(what(), `stdout: ${out}\nstderr: ${err}`).toBe(true);
    };
    const client = new RpcClient({ timeout: 0 });
    try {
      await until(() => out.includes('\n'));
      const node = /uwsgi socket on (\S+)/.exec(out)![1];
      const call = client.call(node, 'slow', ['60000']).then(
        () => 'answered',
        (e: { code?: string }) => e.code,
      );
      await until(() => err.includes('slow started'));
      child.kill('SIGINT');
      await until(() => err.includes('SIGINT: closing'));
      child.kill('SIGINT');
      expect(await exited).toEqual([1, null]);
      expect(await call).not.toBe('answered');
    } finally {
      await client.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
