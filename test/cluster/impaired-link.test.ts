// Self-test of the lab's impaired links (test/helpers/impair.c through netns.mjs): the latency,
// jitter, loss and reordering the fault tests rely on are really on the wire, measured from a
// TCP echo across the link, not taken from the program's own word alone.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { impairUnavailable } from '../helpers/impair.mjs';
import { cleanupStaleLabs, createLab, type Lab, netnsUnavailable } from '../helpers/netns.mjs';
import { requirePeer } from '../helpers/peers.js';
import { removeDir, tempDir } from '../helpers/processes.js';

const reason = netnsUnavailable();
const impairReason = impairUnavailable();
const usable =
  requirePeer('network namespaces', reason === null, reason ?? '') &&
  requirePeer('TAP devices and cc', impairReason === null, impairReason ?? '');

const DELAY = 50;
const JITTER = 20;

// An echo server, and a client timing N round trips of 100 bytes (one at a time) and then one
// 2 MB echo (many frames in flight, so jitter reorders them): prints {"rtts":[..],"bulkOk":bool}.
const ECHO = `require('net').createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen(+process.argv[2], process.argv[1])`;
const TIMER = `
const s = require('net').connect(+process.argv[2], process.argv[1]);
s.setNoDelay(true);
const rtts = []; let want = 0, got = 0, t0 = 0, bulk = null;
const BULK = Buffer.alloc(2e6, 7);
function next() {
  if (rtts.length === 20) { bulk = []; want = BULK.length; got = 0; s.write(BULK); return; }
  want = 100; got = 0; t0 = performance.now(); s.write(Buffer.alloc(100));
}
s.on('connect', next);
s.on('data', (d) => {
  if (bulk) { bulk.push(d); got += d.length; if (got === want) { process.stdout.write(JSON.stringify({ rtts, bulkOk: Buffer.concat(bulk).equals(BULK) })); s.destroy(); } return; }
  got += d.length; if (got === want) { rtts.push(performance.now() - t0); next(); }
});
s.on('error', (e) => { console.error(e.code); process.exit(1); });`;

describe.skipIf(!usable)('impaired links in the network-namespace lab', () => {
  let lab: Lab;
  let dir: string;

  beforeAll(() => {
    dir = tempDir('impaired-link-');
    lab = createLab(['far', 'near'], { impair: { far: { delayMs: DELAY, jitterMs: JITTER, lossPct: 2 } } });
  });

  afterAll(async () => {
    await lab?.destroy();
    if (dir) removeDir(dir);
  });

  it(`adds ${DELAY} ms ± ${JITTER} each way, drops and reorders frames, and TCP still delivers every byte in order`, async () => {
    const address = `${lab.ip('far')}:4100`;
    const echo = lab.spawn('far', process.execPath, ['-e', ECHO, lab.ip('far'), '4100'], {
      log: join(dir, 'echo.log'),
    });
    await lab.waitListening('far', address, { child: echo.child });
    const before = await lab.linkStats('far');
    const r = await lab.run('near', process.execPath, ['-e', TIMER, lab.ip('far'), '4100'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const { rtts, bulkOk } = JSON.parse(r.stdout) as { rtts: number[]; bulkOk: boolean };
    const after = await lab.linkStats('far');
    rtts.sort((a, b) => a - b);
    console.info(
      `impaired link: RTT min ${rtts[0].toFixed(1)}, median ${rtts[10].toFixed(1)}, max ${rtts.at(-1)?.toFixed(1)} ms; ` +
        `counters ${JSON.stringify(after)}`,
    );
    // A round trip crosses the link twice: at least 2 × (delay - jitter), whatever was lost.
    expect(rtts[0]).toBeGreaterThanOrEqual(2 * (DELAY - JITTER));
    // The median sits near 2 × delay (loss adds retransmits to a few, the machine some ms).
    expect(rtts[10]).toBeGreaterThan(2 * DELAY - JITTER);
    expect(rtts[10]).toBeLessThan(2 * DELAY + 3 * JITTER);
    expect(bulkOk).toBe(true);
    for (const way of ['toHost', 'fromHost'] as const) {
      const d = after[way];
      const frames = d.in - before[way].in;
      // ~1400 frames of bulk each way: 2% loss and a 40 ms spread of delays cannot miss both
      expect(frames).toBeGreaterThan(500);
      expect(d.lost - before[way].lost).toBeGreaterThan(0);
      expect(d.reordered - before[way].reordered).toBeGreaterThan(0);
      expect(d.overflow + d.writeFailed).toBe(0);
    }
    await echo.stop();
  });

  it('an unimpaired host of the same lab keeps a plain veth link', async () => {
    const r = await lab.run('near', 'ip', ['-d', '-o', 'link', 'show', 'eth0']);
    expect(r.stdout).toContain('veth');
    const far = await lab.run('far', 'ip', ['-d', '-o', 'link', 'show', 'eth0']);
    expect(far.stdout).toContain('tun type tap');
    await expect(lab.linkStats('near')).rejects.toThrow(/not impaired/);
  });

  it('refuses an impairment for a host the lab does not have, leaving nothing behind', () => {
    expect(() => createLab(['a'], { impair: { b: { delayMs: 1 } } })).toThrow(/impair names b/);
  });

  it("destroy() ends the link program and removes its folder; a dead run's folder is cleaned up", async () => {
    const mine = createLab(['x'], { impair: { x: { delayMs: 5 } } });
    const programs = () =>
      execFileSync('ip', ['netns', 'pids', mine.ns('x').replace(/-1$/, '-hub')], { encoding: 'utf8' });
    expect(programs().trim()).not.toBe('');
    const folders = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`urpc-lab-${process.pid}-`));
    expect(folders().length).toBeGreaterThan(0);
    const before = folders();
    await mine.destroy();
    expect(folders().length).toBe(before.length - 1);
    // a folder left by a process that no longer runs
    const stale = join(tmpdir(), 'urpc-lab-999999999-test');
    mkdirSync(stale);
    cleanupStaleLabs();
    expect(existsSync(stale)).toBe(false);
  });
});
