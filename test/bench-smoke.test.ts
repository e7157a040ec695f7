// The benchmarks run for a fraction of a second so they cannot rot; no timing is asserted.
// Locally a missing peer tool (uWSGI, wrk, h2load) leaves its rows out with a printed reason;
// under CI (.ci/run installs them) they must be there. The cluster suite needs network
// namespaces (root): it is skipped with a printed reason where they cannot be made, and
// must run under CI (root there).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasUwsgiPlugins } from './cluster/cluster.js';
import { netnsUnavailable } from './helpers/netns.mjs';
import { requirePeer, which } from './helpers/peers.js';

const benchDir = join(__dirname, '..', 'bench');
const node = (file: string, ...args: string[]) =>
  execFileSync(process.execPath, [join(benchDir, file), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
const tableRows = (out: string, re: RegExp) => out.split('\n').filter((l) => re.test(l));
const lastCell = (row: string) => row.split('|').at(-2)?.trim();

describe('benchmarks (smoke)', () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const uwsgi = requirePeer(
    'uwsgi',
    which('uwsgi') !== null,
    'apt-get install uwsgi-core uwsgi-plugin-python3 uwsgi-plugin-lua5.2',
  );
  const wrk = requirePeer('wrk', which('wrk') !== null, 'apt-get install wrk');
  const h2load = requirePeer('h2load', which('h2load') !== null, 'apt-get install nghttp2-client');

  it('codec suite prints its table with every engine', () => {
    const text = node('codec.bench.mjs', '--quick', '--rounds', '1', '--secs', '0.2');
    expect(text).toMatch(/\| decode request 60 B .*\|/);
    expect(text).toMatch(/\| encode response 1 MB \(64-bit form\), whole \|/);
    expect(text.match(/^\| [a-z]/gm)?.length).toBeGreaterThan(10);
  });

  it('server, peers and client suites run without errors and write RESULTS.md and the chart', () => {
    const text = node('run.mjs', 'e2e', 'peers', 'client', '--quick', '--rounds', '1', '--secs', '0.1', '--out', out);

    // server suite (alias e2e): every case, every server, no errors
    const cases = tableRows(text, /^\| (connection per call|keep-alive|pipelined|4 KB args|1 MB result)/);
    expect(cases.length).toBe(7);
    for (const r of cases) expect(lastCell(r), r).toBe('0');
    expect(text).toMatch(/\| case \| uwsgi-rpc \| uwsgi-rpc --processes 2 \| minimal Node \|/);
    if (uwsgi)
      for (const s of ['uWSGI python3 x1', 'uWSGI lua x1', 'uWSGI python3 x2', 'uWSGI lua x2'])
        expect(text).toContain(`| ${s} |`);
    // per runtime: this Node's three echo cases always; under CI (.ci/run installs them) also Node 22, 24, 26 and Bun
    const perRuntime = tableRows(text, /^\| (Node|Bun) \d+\.\d+\.\d+ \| /);
    const runtimesSeen = new Set(perRuntime.map((r) => r.split('|')[1].trim()));
    expect(runtimesSeen.has(`Node ${process.versions.node}`)).toBe(true);
    if (process.env.CI)
      for (const line of ['Node 22.', 'Node 24.', 'Node 26.', 'Bun '])
        expect(
          [...runtimesSeen].some((r) => r.startsWith(line)),
          line,
        ).toBe(true);
    expect(perRuntime.length).toBe(3 * runtimesSeen.size);
    for (const r of perRuntime) expect(lastCell(r), r).toBe('0');

    // peers suite: ours and the minimal server always; node:http and grpc-js when their driver is installed
    const peers = tableRows(
      text,
      /^\| (uwsgi-rpc|minimal Node|node:http \+ JSON|grpc-js unary) \| (rpcload|wrk|h2load)/,
    );
    expect(peers.length).toBe(2 + Number(wrk) + Number(h2load));
    for (const r of peers) expect(r.split('|')[5].trim(), r).toBe('0');

    // client suite: both clients against our server (two modes) and uWSGI
    const clients = tableRows(text, /^\| (uwsgi-rpc server|uWSGI python3 x2), /);
    expect(clients.length).toBe(uwsgi ? 3 : 2);
    for (const r of clients) expect(lastCell(r), r).toBe('0');

    const md = readFileSync(join(out, 'RESULTS.md'), 'utf8');
    for (const h of ['## Headline', '## Targets', '## Versions', '## Commands']) expect(md).toContain(h);
    expect(md).toMatch(/\| server, pipelined: ours \/ minimal Node \| \d+\.\d+x/);
    const svg = readFileSync(join(out, 'results.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect /g)?.length).toBeGreaterThan(10);
  }, 120_000);

  const netns = netnsUnavailable();
  const cluster =
    requirePeer('network namespaces', netns === null, netns ?? '') &&
    requirePeer(
      'uwsgi with the rawrouter, python3 and rpc plugins',
      hasUwsgiPlugins('rawrouter', 'python3', 'rpc'),
      'apt-get install uwsgi-core uwsgi-plugin-python3',
    );

  it.skipIf(!cluster)(
    'cluster suite measures 1, 2 and 3 nodes behind the rawrouter and writes CLUSTER.md',
    () => {
      const md = join(out, 'CLUSTER.md');
      const text = node('cluster.bench.mjs', '--quick', '--secs', '0.2', '--md', md);

      // calls/s: direct and 1..3 nodes, our two modes and uWSGI's, no errors
      const rows = tableRows(text, /^\| (1 node, direct \(no router\)|[123] nodes? behind the rawrouter) \|/);
      expect(rows.length).toBe(4);
      for (const r of rows) {
        expect(
          r
            .split('|')
            .slice(2, 5)
            .every((c) => /^\d+(\.\d)?k?\/s$/.test(c.trim())),
          r,
        ).toBe(true);
        expect(lastCell(r), r).toBe('0');
      }
      // CPU rows: every case, and the router reached every node of its pool
      const cpu = tableRows(text, /^\| (uwsgi-rpc|uWSGI python3), /);
      expect(cpu.length).toBe(12);
      for (const r of cpu.filter((l) => /via rawrouter/.test(l))) {
        const n = Number(r.match(/, (\d) nodes? via/)?.[1]);
        const split = lastCell(r)?.split('/').map(Number) ?? [];
        expect(split.length, r).toBe(n);
        expect(
          split.every((v) => v > 0),
          r,
        ).toBe(true);
      }
      const written = readFileSync(md, 'utf8');
      for (const h of ['## Calls/s', '## CPU over each measure window', '## Versions', '## Commands'])
        expect(written).toContain(h);
    },
    120_000,
  );

  it('faults suite: drips, a full table and a worker killed, each with its figures', () => {
    const text = node(
      'faults.mjs',
      '--quick',
      '--drips',
      '200',
      '--node',
      process.execPath,
      '--modes',
      'primary,shared-accept',
    );
    expect(text).toMatch(
      /Drips: 200 connections, .* held after 1 s \d+, after 7 s 0; good calls meanwhile p50 [\d.]+ ms, p99 [\d.]+ ms/,
    );
    expect(text).toMatch(
      /Full table: --max-conns 200, full \(the server said so\) .* p99 [\d.]+ ms, max [\d.]+ ms, 0 of 50 failed/,
    );
    const kills = tableRows(text, /^\| Node [\d.]+ \| (primary|shared-accept) \| \d+ \| \d+ \|/);
    expect(kills.map((r) => r.split('|')[2].trim())).toEqual(['primary', 'shared-accept']);
  }, 120_000);

  it('xml suite: the XML-RPC parser and the same parser on fast-xml-parser refuse the same documents, and both are timed', () => {
    const text = node('xml.bench.mjs', '--quick');
    const same = /### Same outcome on (\d+) of (\d+) documents/.exec(text);
    expect(Number(same?.[2])).toBeGreaterThan(20);
    expect(same?.[1]).toBe(same?.[2]);
    // time per parse: four real bodies (small, 254 params, two of 1 MB) and four hostile ones, a figure for each parser
    const timed = tableRows(text.slice(text.indexOf('### Time per parse')), /^\| [^-|][^|]* \| \d+ \|/);
    expect(timed.length).toBe(8);
    for (const r of timed)
      expect(
        r
          .split('|')
          .slice(3, 5)
          .every((c) => /^\d+(\.\d+)?$/.test(c.trim())),
        r,
      ).toBe(true);
  }, 120_000);

  it('profile.mjs profiles our server and our client and prints their top frames', () => {
    for (const mode of ['pipelined', 'client-keepalive']) {
      const text = node('profile.mjs', mode, '--secs', '0.2', '--top', '5');
      expect(text, mode).toMatch(/errors=0\n.*\.cpuprofile\nself % {2}frame\n/);
      expect(
        text
          .trim()
          .split('\n')
          .slice(3)
          .every((l) => /^ *\d+\.\d {2}\S/.test(l)),
        text,
      ).toBe(true);
    }
  });

  it('tls suite: plain and TLS rows for our server (per call, keep-alive) and uWSGI, no errors, certificates removed', () => {
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith('uwsgi-rpc-bench-tls-'));
    const text = node('run.mjs', 'tls', '--quick', '--rounds', '1', '--secs', '0.1');
    expect(text).toMatch(/\| server, mode \| plain \| TLS \| TLS \/ plain \| errors \|/);
    const rows = tableRows(text, /^\| (uwsgi-rpc server|uWSGI python3 x2), /);
    const names = rows.map((r) => r.split('|')[1].trim());
    expect(names).toEqual(
      expect.arrayContaining(['uwsgi-rpc server, connection per call', 'uwsgi-rpc server, keep-alive']),
    );
    if (uwsgi) expect(names).toContain('uWSGI python3 x2, connection per call');
    for (const r of rows) {
      expect(lastCell(r), r).toBe('0');
      expect(r, r).toMatch(/\| \d+\/s \| \d+\/s \|/);
    }
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('uwsgi-rpc-bench-tls-'))).toEqual(before);
  });
});
