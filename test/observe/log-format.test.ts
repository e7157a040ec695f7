// --log-format json: every stderr line of serve is one JSON object (time, level, event, peer,
// function, message), read from a live serve whose functions fail; text stays the default.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { type Served, serveCli } from '../browser/serve-cli.js';
import { freePort } from '../helpers/processes.js';
import { eventually } from '../helpers/router-stats.js';

const FUNCTIONS = join(import.meta.dirname, 'fixtures', 'functions.mjs');
const client = new RpcClient({ timeout: 5000 });
const served: Served[] = [];
afterAll(async () => {
  client.close();
  await Promise.all(served.map((s) => s.stop()));
});

interface Record {
  time: string;
  level: string;
  event: string;
  peer: string | null;
  function: string | null;
  message: string;
}

async function serveAndFail(args: string[]): Promise<Served> {
  const socket = `127.0.0.1:${await freePort()}`;
  const s = await serveCli(['--import', FUNCTIONS, '--socket', socket, '--harakiri', '1', ...args], 1);
  served.push(s);
  await expect(client.call(socket, 'missing')).rejects.toThrow();
  await expect(client.call(socket, 'boom')).rejects.toThrow();
  await expect(client.call(socket, 'nothing')).rejects.toThrow();
  await expect(client.call(socket, 'sleep', ['3000'])).rejects.toThrow();
  await eventually(
    'the harakiri line',
    async () => s.stderr(),
    (t) => t.includes('harakiri'),
  );
  await s.stop();
  return s;
}

describe('--log-format', () => {
  it('json: one object per line with time, level, event, peer, function, message', async () => {
    const s = await serveAndFail(['--log-format', 'json']);
    const lines = s.stderr().split('\n').filter(Boolean);
    const records = lines.map((l) => JSON.parse(l) as Record);
    for (const r of records) {
      expect(Object.keys(r)).toEqual(['time', 'level', 'event', 'peer', 'function', 'message']);
      expect(new Date(r.time).toISOString()).toBe(r.time);
      expect(['info', 'warn', 'error']).toContain(r.level);
    }
    const find = (event: string) => records.find((r) => r.event === event);
    expect(find('functions')?.message).toMatch(/^6 functions: hello, boom/);
    expect(find('unknown_function')).toMatchObject({
      level: 'warn',
      function: 'missing',
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    expect(find('unknown_function')?.message).toMatch(/^unknown function "missing"/);
    expect(find('function_failed')).toMatchObject({ level: 'error', function: 'boom' });
    expect(find('bad_result')).toMatchObject({ level: 'error', function: 'nothing' });
    expect(find('harakiri')).toMatchObject({ level: 'error', function: 'sleep' });
    expect(find('closing')?.message).toMatch(/^SIGINT: closing/);
  }, 60_000);

  it('text stays the default: the same lines as before, uwsgi-rpc: first', async () => {
    const s = await serveAndFail([]);
    const lines = s.stderr().split('\n').filter(Boolean);
    for (const l of lines) expect(l).toMatch(/^uwsgi-rpc: /);
    expect(
      lines.some((l) =>
        /^uwsgi-rpc: 127\.0\.0\.1:\d+: unknown function "missing": connection closed without an answer$/.test(l),
      ),
    ).toBe(true);
  }, 60_000);

  it('refuses another format', async () => {
    await expect(serveCli(['--socket', `127.0.0.1:${await freePort()}`, '--log-format', 'xml'], 1)).rejects.toThrow(
      /--log-format xml: text or json/,
    );
  });
});
