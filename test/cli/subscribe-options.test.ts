// Subscription options as flags and ini keys (uWSGI's names), and what serve refuses before it starts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveOptions } from '../../src/cli/serve-options.js';
import { UsageError } from '../../src/cli/usage.js';
import { escapeRegExp } from '../helpers/regex.js';

const BIN = join(import.meta.dirname, '../../bin/uwsgi-rpc.js');

describe('serve subscription options', () => {
  it('--subscribe-to and its aliases accumulate; freq, weight, modifier1 and grace are read', () => {
    const o = serveOptions([
      '--socket',
      ':0',
      '--subscribe-to',
      '10.0.0.1:7000:10.0.0.1:3060',
      '--st',
      '10.0.0.1:7001:rpc.example,173',
      '--subscribe',
      '10.0.0.9:3031=10.0.0.1:7002:k',
      '--subscribe-freq',
      '3',
      '--weight',
      '8',
      '--subscribe-with-modifier1',
      '5',
      '--unsubscribe-grace',
      '0.25',
    ]);
    expect(
      o.subscribeTo.map((t) => [t.server, 'name' in t.key ? t.key.name : t.key.file, t.modifier1, t.address]),
    ).toEqual([
      ['10.0.0.1:7000', '10.0.0.1:3060', 0, undefined],
      ['10.0.0.1:7001', 'rpc.example', 173, undefined],
      ['10.0.0.1:7002', 'k', 0, '10.0.0.9:3031'],
    ]);
    expect([o.subscribeFreq, o.weight, o.subscribeModifier1, o.unsubscribeGrace]).toEqual([3, 8, 5, 250]);
  });

  it('ini keys, as in an ini shared with uWSGI nodes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'subscribe-'));
    try {
      const ini = join(dir, 'node.ini');
      writeFileSync(
        ini,
        '[uwsgi]\nsocket = :0\nsubscribe-to = 10.0.0.1:7000:10.0.0.1:3060\nsubscribe-to = 10.0.0.2:7000:10.0.0.2:3060\nsubscribe-freq = 2\n',
      );
      const o = serveOptions(['--ini', ini]);
      expect(o.subscribeTo.map((t) => t.server)).toEqual(['10.0.0.1:7000', '10.0.0.2:7000']);
      expect(o.subscribeFreq).toBe(2);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('--subscribe2 (key=value form) joins the same list; socket=N must name a --socket', () => {
    const o = serveOptions(['--socket', ':0', '--subscribe2', 'server=10.0.0.1:7000,key=k,modifier2=2,weight=4']);
    expect(o.subscribeTo).toMatchObject([{ server: '10.0.0.1:7000', key: { name: 'k' }, modifier2: 2, weight: 4 }]);
    const r = spawnSync(
      process.execPath,
      [BIN, 'serve', '--socket', '127.0.0.1:0', '--subscribe2', 'server=127.0.0.1:7000,key=k,socket=1'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/socket=1, but there is 1 --socket \(counted from 0\)/);
  });

  it('bad values are usage errors', () => {
    for (const bad of [
      ['--subscribe-to', '10.0.0.1:7000'],
      ['--subscribe-to', '/run/sub.sock:k'],
      ['--subscribe-freq', '0'],
      ['--subscribe-freq', '1.5'],
      ['--subscribe2', 'key=k'],
      ['--subscribe2', 'server=127.0.0.1:7000,key=k,x=1'],
      ['--weight', '-1'],
      ['--subscribe-with-modifier1', '256'],
      ['--unsubscribe-grace', 'x'],
    ]) {
      // the message names the option and the value at fault
      expect(() => serveOptions(bad), bad.join(' ')).toThrow(UsageError);
      expect(() => serveOptions(bad), bad.join(' ')).toThrow(new RegExp(`^${escapeRegExp(bad.join(' '))}: `));
    }
  });

  it('serve refuses to subscribe without a uwsgi socket to announce (exit 2)', () => {
    const r = spawnSync(
      process.execPath,
      [BIN, 'serve', '--http-socket', '127.0.0.1:0', '--subscribe-to', '127.0.0.1:7000:k'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--subscribe-to announces the node's uwsgi socket/);
  });
});
