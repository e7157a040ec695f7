// Calls over a lossy link: our node and a caller on two hosts of the network-namespace lab, the
// node's link dropping 2% of the packets each way (nftables `numgen random`: this kernel has no
// netem, so loss is all that is emulated here, not latency or reordering). Every call must be
// answered once or fail with a typed error, and no call may run twice (the node's function
// writes each call id to a file as it starts).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab, type LabProcess, netnsUnavailable } from '../helpers/netns.mjs';
import { requirePeer, which } from '../helpers/peers.js';
import { removeDir, tempDir } from '../helpers/processes.js';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'uwsgi-rpc.js');
const FIXTURES = join(__dirname, 'fixtures');
const PORT = 3031;
/** Packets dropped per hundred, each way on the node's link. */
const LOSS = 2;

const reason = netnsUnavailable();
const usable =
  requirePeer('network namespaces', reason === null, reason ?? '') &&
  requirePeer('nftables', which('nft') !== null, 'apt-get install nftables');

interface CallerResult {
  calls: number;
  answered: string[];
  failed: Record<string, string>;
  untyped: number;
  movedOn: number;
}

describe.skipIf(!usable)(`calls over a link losing ${LOSS}% of packets each way (nftables)`, () => {
  let lab: Lab;
  let dir: string;
  let ranDir: string;
  let node: LabProcess;

  const nft = (args: string[], input?: string): string =>
    execFileSync('ip', ['netns', 'exec', lab.ns('node'), 'nft', ...args], { encoding: 'utf8', input });
  const dropped = (): number =>
    [...nft(['list', 'table', 'inet', 'lossy']).matchAll(/counter packets (\d+)/g)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'src', 'index.js'))) throw new Error('dist is missing: run npm run build');
    dir = tempDir('faults-lossy-');
    ranDir = join(dir, 'ran');
    execFileSync('mkdir', [ranDir]);
    lab = createLab(['node', 'other', 'client']);
    nft(
      ['-f', '-'],
      `table inet lossy {
  chain in { type filter hook input priority 0; policy accept; iifname "eth0" numgen random mod 100 < ${LOSS} counter drop; }
  chain out { type filter hook output priority 0; policy accept; oifname "eth0" numgen random mod 100 < ${LOSS} counter drop; }
}
`,
    );
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
  async function calls(args: string[]): Promise<CallerResult> {
    const before = dropped();
    const r = await lab.run(
      'client',
      process.execPath,
      [join(FIXTURES, 'lossy-caller.mjs'), '--target', `${lab.ip('node')}:${PORT}`, ...args],
      { timeoutMs: 90_000 },
    );
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
    const lost = dropped() - before;
    const byCode: Record<string, number> = {};
    for (const code of Object.values(result.failed)) byCode[code] = (byCode[code] ?? 0) + 1;
    console.info(
      `lossy link, ${args.join(' ')}: ${result.calls} calls, ${result.answered.length} answered, ` +
        `failed ${JSON.stringify(byCode)}, ${result.movedOn} moved to another node; ${lost} packets dropped on the node's link`,
    );
    // the link did lose packets meanwhile
    expect(lost).toBeGreaterThan(0);
    return result;
  }

  it('a connection per call: every call answered once or failed typed, none ran twice', async () => {
    const r = await calls(['--calls', '300', '--concurrency', '8', '--prefix', 'per-call-']);
    expect(r.answered.length).toBeGreaterThan(0);
  });

  it('the splitter moves on only calls that never left: each call ran once, over the lossy node, a clean one and a refusing one', async () => {
    // nothing listens on the client's own port 3999: connections there are refused (never left)
    const r = await calls([
      '--calls',
      '300',
      '--concurrency',
      '4',
      '--split',
      `${lab.ip('other')}:${PORT},${lab.ip('client')}:3999`,
      '--prefix',
      'split-',
    ]);
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
