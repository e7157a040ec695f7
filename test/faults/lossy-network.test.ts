// Calls over a bad link: our node and a caller on two hosts of the network-namespace lab, the
// node's link adding 50 ms ± 20 of latency each way, dropping 2% of the frames each way and so
// reordering them (the lab's userspace netem, test/helpers/impair.c: this kernel has no netem
// qdisc). Every call must be answered once or fail with a typed error, and no call may run twice
// (the node's function writes each call id to a file as it starts).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { impairUnavailable } from '../helpers/impair.mjs';
import { createLab, type Lab, type LabProcess, netnsUnavailable } from '../helpers/netns.mjs';
import { requirePeer } from '../helpers/peers.js';
import { removeDir, tempDir } from '../helpers/processes.js';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'uwsgi-rpc.js');
const FIXTURES = join(__dirname, 'fixtures');
const PORT = 3031;
/** The node's link, each way: frames dropped per hundred, and their delay (ms). */
const LOSS = 2;
const DELAY = 50;
const JITTER = 20;

const reason = netnsUnavailable();
const impairReason = impairUnavailable();
const usable =
  requirePeer('network namespaces', reason === null, reason ?? '') &&
  requirePeer('TAP devices and cc', impairReason === null, impairReason ?? '');

interface CallerResult {
  calls: number;
  answered: string[];
  failed: Record<string, string>;
  untyped: number;
  movedOn: number;
}

describe.skipIf(!usable)(`calls over a link of ${DELAY} ms ± ${JITTER} losing ${LOSS}% of frames, each way`, () => {
  let lab: Lab;
  let dir: string;
  let ranDir: string;
  let node: LabProcess;

  /** Frames lost and frames reordered so far on the node's link, both ways. */
  const link = async (): Promise<{ frames: number; lost: number; reordered: number }> => {
    const s = await lab.linkStats('node');
    return {
      frames: s.toHost.in + s.fromHost.in,
      lost: s.toHost.lost + s.fromHost.lost,
      reordered: s.toHost.reordered + s.fromHost.reordered,
    };
  };

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'src', 'index.js'))) throw new Error('dist is missing: run npm run build');
    dir = tempDir('faults-lossy-');
    ranDir = join(dir, 'ran');
    execFileSync('mkdir', [ranDir]);
    lab = createLab(['node', 'other', 'client'], {
      impair: { node: { delayMs: DELAY, jitterMs: JITTER, lossPct: LOSS } },
    });
    const address = `${lab.ip('node')}:${PORT}`;
    node = lab.spawn(
      'node',
      process.execPath,
      [BIN, 'serve', '--socket', address, '--import', join(FIXTURES, 'ran.mjs')],
      { log: join(dir, 'node.log'), stopSignal: 'SIGINT', env: { ...process.env, FAULTS_RAN_DIR: ranDir } },
    );
    await lab.waitListening('node', address, { child: node.child });
    // a second node on a clean link, for the splitter (the same folder: ids are unique)
    const second = `${lab.ip('other')}:${PORT}`;
    const other = lab.spawn(
      'other',
      process.execPath,
      [BIN, 'serve', '--socket', second, '--import', join(FIXTURES, 'ran.mjs')],
      { log: join(dir, 'other.log'), stopSignal: 'SIGINT', env: { ...process.env, FAULTS_RAN_DIR: ranDir } },
    );
    await lab.waitListening('other', second, { child: other.child });
  });

  afterAll(async () => {
    await lab?.destroy();
    if (dir) removeDir(dir);
  });

  /** The caller's run, checked: every call once, answered or typed; none ran twice; answered ones ran. */
  /**
   * `allOnTheLink`: every call crossed the node's link (not so for the splitter's): then the link
   * must have lost and reordered frames meanwhile, and every call waited a round trip of it.
   */
  async function calls(args: string[], allOnTheLink = true): Promise<CallerResult> {
    const before = await link();
    const started = performance.now();
    const r = await lab.run(
      'client',
      process.execPath,
      [join(FIXTURES, 'lossy-caller.mjs'), '--target', `${lab.ip('node')}:${PORT}`, ...args],
      { timeoutMs: 90_000 },
    );
    const elapsed = performance.now() - started;
    expect(r.code, `caller exited ${r.code ?? r.signal}: ${r.stderr}`).toBe(0);
    const result = JSON.parse(r.stdout) as CallerResult;
    const failedIds = Object.keys(result.failed);
    expect(result.untyped).toBe(0);
    expect(result.answered.length + failedIds.length).toBe(result.calls);
    expect(new Set([...result.answered, ...failedIds]).size).toBe(result.calls);
    const ranLines = readdirSync(ranDir).flatMap((f) => readFileSync(join(ranDir, f), 'utf8').split('\n'));
    const ranCount = new Map<string, number>();
    for (const id of ranLines.filter(Boolean)) ranCount.set(id, (ranCount.get(id) ?? 0) + 1);
    for (const id of result.answered) expect(ranCount.get(id), `call ${id} answered`).toBe(1);
    for (const [id, n] of ranCount) expect(n, `call ${id} ran`).toBe(1);
    for (const code of Object.values(result.failed)) expect(['TIMEOUT', 'NO_ANSWER', 'CONNECTION']).toContain(code);
    const after = await link();
    const lost = after.lost - before.lost;
    const reordered = after.reordered - before.reordered;
    const frames = after.frames - before.frames;
    const byCode: Record<string, number> = {};
    for (const code of Object.values(result.failed)) byCode[code] = (byCode[code] ?? 0) + 1;
    console.info(
      `bad link, ${args.join(' ')}: ${result.calls} calls, ${result.answered.length} answered, ` +
        `failed ${JSON.stringify(byCode)}, ${result.movedOn} moved to another node; on the node's link ${lost} frames ` +
        `dropped and ${reordered} reordered; ${(elapsed / 1000).toFixed(1)} s`,
    );
    expect(frames).toBeGreaterThan(0);
    if (allOnTheLink) {
      expect(lost).toBeGreaterThan(0);
      expect(reordered).toBeGreaterThan(0);
      // every call waited at least one round trip of the link (2 × (delay - jitter)), C at a time
      const c = Number(args[args.indexOf('--concurrency') + 1]);
      expect(elapsed).toBeGreaterThanOrEqual((result.calls / c) * 2 * (DELAY - JITTER));
    }
    return result;
  }

  it('a connection per call: every call answered once or failed typed, none ran twice', async () => {
    const r = await calls(['--calls', '300', '--concurrency', '8', '--prefix', 'per-call-']);
    expect(r.answered.length).toBeGreaterThan(0);
  });

  it('calls that outlast a short timeout fail typed TIMEOUT, and still ran at most once', async () => {
    // a round trip takes 60-140 ms here and a call on a new connection two of them
    const r = await calls(['--calls', '100', '--concurrency', '8', '--timeout', '200', '--prefix', 'short-']);
    const codes = Object.values(r.failed);
    expect(codes.length).toBeGreaterThan(0);
    for (const code of codes) expect(code).toBe('TIMEOUT');
  });

  it('the splitter moves on only calls that never left: each call ran once, over the lossy node, a clean one and a refusing one', async () => {
    // nothing listens on the client's own port 3999: connections there are refused (never left)
    const r = await calls(
      [
        '--calls',
        '300',
        '--concurrency',
        '4',
        '--split',
        `${lab.ip('other')}:${PORT},${lab.ip('client')}:3999`,
        '--prefix',
        'split-',
      ],
      false,
    );
    expect(r.answered.length).toBeGreaterThan(0);
    // calls given to the refusing address went on to another node, and ran there once
    expect(r.movedOn).toBeGreaterThan(0);
  });

  it('keep-alive with pipelining survives: every call answered once or failed typed, none ran twice', async () => {
    const r = await calls([
      '--calls',
      '600',
      '--concurrency',
      '16',
      '--keepalive',
      '--pipelining',
      '4',
      '--prefix',
      'kept-',
    ]);
    expect(r.answered.length).toBeGreaterThan(0);
  });
});
