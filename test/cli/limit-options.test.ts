// Limit options as flags and ini keys: uWSGI's names, seconds on the command line, ms in RpcServer.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveOptions } from '../../src/cli/serve-options.js';
import { UsageError } from '../../src/cli/usage.js';
import { escapeRegExp } from '../helpers/regex.js';

describe('serve limit options', () => {
  it('flags: seconds become ms, counts stay counts', () => {
    const o = serveOptions([
      '--socket',
      ':0',
      '--listen',
      '64',
      '--max-conns',
      '500',
      '--socket-timeout',
      '0.5',
      '--request-timeout',
      '2.5',
      '--keepalive-timeout',
      '30',
      '--harakiri',
      '20',
      '--buffer-size',
      '8192',
      '--max-inflight',
      '16',
      '--max-pending-bytes',
      '65536',
    ]);
    expect(o.limits).toEqual({
      backlog: 64,
      maxConns: 500,
      socketTimeout: 500,
      requestTimeout: 2_500,
      keepaliveTimeout: 30_000,
      harakiri: 20_000,
      bufferSize: 8192,
      maxInFlight: 16,
      maxPendingBytes: 65536,
    });
  });

  it('ini keys, the later value wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'limits-'));
    try {
      const ini = join(dir, 'a.ini');
      writeFileSync(ini, '[uwsgi]\nsocket = :0\nharakiri = 3\nsocket-timeout = 10\nmax-conns = 7\n');
      expect(serveOptions(['--ini', ini, '--harakiri', '0']).limits).toEqual({
        harakiri: 0,
        socketTimeout: 10_000,
        maxConns: 7,
      });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('bad values are usage errors', () => {
    for (const bad of [
      ['--listen', '0'],
      ['--max-conns', 'x'],
      ['--socket-timeout', '-1'],
      ['--harakiri', '1s'],
      ['--buffer-size', '1.5'],
    ]) {
      // the message names the option and the value at fault
      expect(() => serveOptions(bad), bad.join(' ')).toThrow(UsageError);
      expect(() => serveOptions(bad), bad.join(' ')).toThrow(new RegExp(`^${escapeRegExp(bad.join(' '))}: `));
    }
  });
});
