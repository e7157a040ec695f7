// The CLI as a user runs it: `node bin/uwsgi-rpc.js ...` child processes, after the build.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { type Server, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_OPTIONS } from '../../src/cli/call.js';
import { createCodecSync } from '../../src/codec/index.js';
import { LIMIT_OPTIONS, SERVE_OPTIONS } from '../../src/cli/serve-options.js';
import { DEFAULT_TIMEOUT } from '../../src/client/options.js';
import { DEFAULT_LIMITS } from '../../src/server/options.js';
import { ENGINES } from '../helpers/engines.js';
import { freePort, removeDir, tempDir } from '../helpers/processes.js';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'uwsgi-rpc.js');
const FIXTURES = join(__dirname, 'fixtures');

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the CLI to completion. */
function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

interface Serving {
  child: ChildProcess;
  /** stdout so far */
  out(): string;
  err(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `serve` and resolves once it has printed `lines` lines on stdout. */
function serve(args: string[], lines: number, env: NodeJS.ProcessEnv = {}): Promise<Serving> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const s: Serving = {
    child,
    out: () => out,
    err: () => err,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.split('\n').length > lines) resolve(s);
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.once('exit', (code) =>
      reject(new Error(`serve exited (${code}) before it was ready\nstdout: ${out}\nstderr: ${err}`)),
    );
  });
}

const listening = (address: string) => `uwsgi-rpc: uwsgi socket on ${address}\n`;

let dir: string;
const started: Serving[] = [];

beforeAll(() => {
  // the CLI runs from dist/: make sure it is built from the current sources
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
  dir = tempDir();
}, 120_000);

afterAll(async () => {
  for (const s of started) await s.stop('SIGKILL');
  removeDir(dir);
});

describe('uwsgi-rpc help and version', () => {
  /** Every option a command accepts is written `--name` somewhere in its help (not only as a prefix of a longer one). */
  const missing = (help: string, specs: Readonly<Record<string, unknown>>) =>
    Object.keys(specs).filter((name) => !new RegExp(`(^|[^\\w-])--${name}(?![\\w-])`).test(help));
  /** The help line (with its wrapped continuation) that describes `--name`. */
  const entry = (help: string, name: string) => {
    const lines = help.split('\n');
    const i = lines.findIndex((l) => l.startsWith(`  --${name} `));
    let text = lines[i] ?? '';
    for (let j = i + 1; i >= 0 && j < lines.length && /^ {20,}\S/.test(lines[j]); j++) text += ` ${lines[j].trim()}`;
    return text;
  };

  it.each([['--help'], ['help'], ['-h']])(
    "%s: the overview, pointing at each command's help, exit 0",
    async (...args) => {
      const r = await run(args);
      expect(r.code).toBe(0);
      const out = r.stdout.toString();
      expect(out).toContain('uwsgi-rpc serve --help');
      expect(out).toContain('uwsgi-rpc call --help');
      expect(out).not.toContain('--max-pending-bytes');
    },
  );

  it.each([
    ['serve', '--help'],
    ['serve', '-h'],
    ['help', 'serve'],
    ['serve', '--socket', ':0', '--bogus', '--help'],
  ])("%s %s: serve's own help, exit 0", async (...args) => {
    const r = await run(args);
    expect(r.code).toBe(0);
    const help = r.stdout.toString();
    expect(help).toMatch(/^usage: uwsgi-rpc serve /);
    expect(help).toContain('\n  npx uwsgi-rpc serve --socket 127.0.0.1:3031 --import examples/functions.mjs\n');
    expect(missing(help, SERVE_OPTIONS)).toEqual([]);
    expect(help).not.toContain('uwsgi-rpc call [--raw]');
    for (const [name, { key, seconds }] of Object.entries(LIMIT_OPTIONS)) {
      const want = seconds ? DEFAULT_LIMITS[key] / 1000 : DEFAULT_LIMITS[key];
      expect(entry(help, name), name).toMatch(new RegExp(`\\(default ${want}\\b`));
    }
  });

  it.each([
    ['call', '--help'],
    ['call', '-h'],
    ['help', 'call'],
    ['call', '127.0.0.1:1', 'f', '--help'],
  ])("%s %s: call's own help, exit 0", async (...args) => {
    const r = await run(args);
    expect(r.code).toBe(0);
    const help = r.stdout.toString();
    expect(help).toMatch(
      /^usage: uwsgi-rpc call \[--raw\] \[--timeout MS\] \[--ca FILE\] \[--cert FILE --key FILE\] NODE FUNC \[ARG\.\.\.\]\n/,
    );
    expect(help).toMatch(/\n {2}npx uwsgi-rpc call \S+ /);
    expect(missing(help, CALL_OPTIONS)).toEqual([]);
    expect(entry(help, 'timeout')).toContain(`(default ${DEFAULT_TIMEOUT};`);
    expect(help).not.toContain('--socket');
  });

  it.each([['--version'], ['-v'], ['version']])('%s prints the version of package.json, exit 0', async (arg) => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await run([arg])).toEqual({ code: 0, stdout: Buffer.from(`${version}\n`), stderr: '' });
  });

  it('no command: usage on stderr, exit 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage:');
  });

  it.each([
    [['serve', '--bogus'], 'uwsgi-rpc serve --help'],
    [['call', '127.0.0.1:1'], 'uwsgi-rpc call --help'],
    [['frobnicate'], 'uwsgi-rpc --help'],
    [['help', 'frobnicate'], 'uwsgi-rpc --help'],
  ])('a usage error %j points at %s, exit 2', async (args, where) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').at(-2)).toBe(`(${where} shows the usage)`);
  });
});

describe.each(ENGINES)('uwsgi-rpc serve --engine %s, and call', (engine) => {
  let server: Serving;
  let tcp: string;
  let unix: string;

  beforeAll(async () => {
    tcp = `127.0.0.1:${await freePort()}`;
    unix = join(dir, `cli-${engine}.sock`);
    server = await serve(
      [
        '--socket',
        tcp,
        `--socket=${unix}`,
        '--import',
        'test/cli/fixtures/default-style.mjs',
        `--import=${join(FIXTURES, 'register-style.mjs')}`,
        '--engine',
        engine,
      ],
      2,
    );
    started.push(server);
  });
  afterAll(() => server.stop());

  it('prints exactly one line per listening address', () => {
    expect(server.out()).toBe(listening(tcp) + listening(unix));
  });

  it('call writes the exact result bytes to stdout, no newline added, exit 0', async () => {
    const r = await run(['call', tcp, 'hello']);
    expect(r).toEqual({ code: 0, stdout: Buffer.from('Hello World'), stderr: '' });
    const u = await run(['call', unix, 'echo', 'a', 'é€', '-3']);
    expect(u).toEqual({ code: 0, stdout: Buffer.from('a|é€|-3'), stderr: '' });
  });

  it('a binary result comes out byte for byte', async () => {
    const r = await run(['call', tcp, 'bytes']);
    expect(r.code).toBe(0);
    expect(r.stdout.equals(Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => i)))).toBe(true);
  });

  it("functions registered with the package's own register() are served", async () => {
    const r = await run(['call', tcp, 'fromPackage', 'x', 'y']);
    expect(r.stdout.toString()).toBe('registered via the package (2 args)');
  });

  it('args after -- are passed as they are', async () => {
    const r = await run(['call', tcp, 'echo', '--', '--raw', '-x']);
    expect(r.stdout.toString()).toBe('--raw|-x');
  });

  it('an unknown function: one line on stderr, nothing on stdout, exit 1; the server logs why', async () => {
    const r = await run(['call', tcp, 'nosuchfunction']);
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(/^uwsgi-rpc: NO_ANSWER: [^\n]+\n$/);
    expect(server.err()).toMatch(/unknown function "nosuchfunction"/);
  });

  it('--timeout: a call that takes longer fails with TIMEOUT, exit 1', async () => {
    const r = await run(['call', '--timeout', '100', tcp, 'slow', '2000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^uwsgi-rpc: TIMEOUT: [^\n]+\n$/);
  });
});

describe('uwsgi-rpc call', () => {
  it('--raw sends modifier2 1 and prints the bytes up to EOF', async () => {
    const seen: number[] = [];
    const raw: Server = createServer((s) => {
      s.once('data', (c: Buffer) => {
        seen.push(c[0], c[3]);
        s.end(Buffer.from('HTTP/1.0 200 OK\r\n\r\nraw \x00\xff', 'latin1'));
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    try {
      const { port } = raw.address() as { port: number };
      const r = await run(['call', `127.0.0.1:${port}`, 'page', '--raw']);
      expect(r.code).toBe(0);
      expect(r.stdout.toString('latin1')).toBe('HTTP/1.0 200 OK\r\n\r\nraw \x00\xff');
      expect(seen).toEqual([173, 1]);
    } finally {
      raw.close();
    }
  });

  it('a call over the uwsgi size limit: TOO_LARGE in one sentence with its size and the limit, exit 1, nothing sent', async () => {
    const r = await run(['call', `127.0.0.1:${await freePort()}`, 'f', 'a'.repeat(70000)]);
    expect(r).toEqual({
      code: 1,
      stdout: Buffer.alloc(0),
      stderr:
        'uwsgi-rpc: TOO_LARGE: cannot send the call: the request body would be 70005 bytes; the uwsgi limit is 65535\n',
    });
  });

  it('connection refused: REFUSED, exit 1', async () => {
    const r = await run(['call', `127.0.0.1:${await freePort()}`, 'hello']);
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(/^uwsgi-rpc: REFUSED: [^\n]+\n$/);
  });

  it.each([
    [['call'], /call needs a node/],
    [['call', '127.0.0.1:1'], /call needs a node/],
    [['call', '--timeout', 'soon', '127.0.0.1:1', 'f'], /--timeout soon/],
    [['call', '127.0.0.1:1', 'f', '--bogus'], /unknown option --bogus/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('usage error %j: exit 2', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('uwsgi-rpc serve', () => {
  it('--ini: a [uwsgi] section (comments, repeated keys, %d) merged with flags', async () => {
    const tcp = `127.0.0.1:${await freePort()}`;
    const flagged = `127.0.0.1:${await freePort()}`;
    const unix = join(dir, 'ini.sock');
    copyFileSync(join(FIXTURES, 'default-style.mjs'), join(dir, 'fns.mjs'));
    const ini = join(dir, 'app.ini');
    writeFileSync(
      ini,
      [
        '; a uWSGI-style config',
        '[other]',
        'socket = 127.0.0.1:1',
        '[uwsgi]',
        `socket = ${tcp}`,
        '# a second socket',
        `  socket=${unix}  `,
        'import = %dfns.mjs',
        'engine = ts',
        'processes = 1',
        '',
      ].join('\n'),
    );
    const s = await serve(['--ini', ini, '--socket', flagged], 3);
    started.push(s);
    expect(s.out()).toBe(listening(tcp) + listening(unix) + listening(flagged));
    for (const a of [tcp, unix, flagged])
      expect((await run(['call', a, 'hello'])).stdout.toString()).toBe('Hello World');
    // FILE:SECTION picks another section
    writeFileSync(
      join(dir, 'two.ini'),
      `[uwsgi]\nsocket = 127.0.0.1:1\n[mine]\nsocket = ${unix}-2\nimport = %dfns.mjs\n`,
    );
    const t = await serve(['--ini', `${join(dir, 'two.ini')}:mine`], 1);
    started.push(t);
    expect(t.out()).toBe(listening(`${unix}-2`));
    expect(await s.stop()).toBe(0);
    expect(await t.stop('SIGINT')).toBe(0);
  });

  it('SIGTERM and SIGINT: running calls finish, then exit 0', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const tcp = `127.0.0.1:${await freePort()}`;
      const s = await serve(['--socket', tcp, '--import', 'test/cli/fixtures/default-style.mjs'], 1);
      started.push(s);
      const slow = run(['call', tcp, 'slow', '400']);
      // Signal only once the call is running (a child's start-up takes long under load).
      for (let i = 0; i < 200 && !s.err().includes('slow started'); i++) await new Promise((r) => setTimeout(r, 25));
      expect(s.err()).toContain('slow started');
      expect(await s.stop(signal)).toBe(0);
      expect((await slow).stdout.toString()).toBe('slow done');
      expect(s.err()).toContain(`${signal}: closing`);
    }
  });

  it('--close-after-answer: lone (default) ends a one-shot connection with its answer; never keeps it open', async () => {
    for (const [flags, keptOpen] of [
      [[], false],
      [['--close-after-answer', 'never'], true],
      [['--close-after-answer', 'lone'], false],
    ] as const) {
      const tcp = `127.0.0.1:${await freePort()}`;
      const s = await serve(['--socket', tcp, '--import', 'examples/functions.mjs', ...flags], 1);
      started.push(s);
      const [host, port] = tcp.split(':');
      const sock = connect(Number(port), host);
      const chunks: Buffer[] = [];
      sock.on('data', (c: Buffer) => chunks.push(c));
      const ended = new Promise<boolean>((r) => {
        sock.once('end', () => r(true));
        setTimeout(() => r(false), 300);
      });
      sock.write(createCodecSync().encodeRequest('hello', []));
      expect(await ended, flags.join(' ')).toBe(!keptOpen);
      expect(Buffer.concat(chunks).subarray(4).toString()).toBe('Hello World');
      sock.destroy();
      expect(await s.stop()).toBe(0);
    }
  });

  it('under npm start: the examples load and it prints how to call them', async () => {
    const tcp = `127.0.0.1:${await freePort()}`;
    const s = await serve(['--socket', tcp, '--import', 'examples/functions.mjs'], 2, { npm_lifecycle_event: 'start' });
    started.push(s);
    // serve() resolved on its second line
    expect(s.out()).toMatch(new RegExp(`^${listening(tcp)}try: npx uwsgi-rpc call ${tcp} hello\n`));
    const calls: [string[], string][] = [
      [['hello'], 'Hello World'],
      [['echo', 'a', 'b'], 'a|b'],
      [['upper', 'héllo'], 'HÉLLO'],
      [['sum', '1', '2', '3.5'], '6.5'],
      [['sleep', '10'], 'slept 10 ms'],
      [['version'], `uwsgi-rpc on Node ${process.version}`],
    ];
    for (const [args, want] of calls) expect((await run(['call', tcp, ...args])).stdout.toString()).toBe(want);
    expect((await run(['call', tcp, 'sha256', 'abc'])).stdout.toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect((await run(['call', tcp, 'sum', 'x'])).code).toBe(1);
    expect(await s.stop()).toBe(0);
  });

  it('the examples check their args: a bad call gets NO_ANSWER, the log line names the function and the problem', async () => {
    const tcp = `127.0.0.1:${await freePort()}`;
    const s = await serve(['--socket', tcp, '--import', 'examples/functions.mjs'], 1);
    started.push(s);
    const bad: [string[], string][] = [
      [['version', 'x'], 'version: takes no arguments, got 1'],
      [['hello', 'x'], 'hello: takes no arguments, got 1'],
      [['echo'], 'echo: needs at least 1 argument (the texts to join), got 0'],
      [['upper'], 'upper: needs 1 argument (the text), got 0'],
      [['upper', 'a', 'b'], 'upper: needs 1 argument (the text), got 2'],
      [['sum', '1', 'x'], 'sum: "x" is not a number'],
      [['sleep', 'soon'], 'sleep: MS is a whole number 0..10000, got "soon"'],
      [['sleep', '1', '2'], 'sleep: takes at most 1 argument (MS), got 2'],
    ];
    for (const [args, why] of bad) {
      const r = await run(['call', tcp, ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout.length).toBe(0);
      expect(r.stderr).toMatch(/^uwsgi-rpc: NO_ANSWER: [^\n]+\n$/);
      const line = `function "${args[0]}" failed: Error: ${why}`;
      // the server's stderr reaches this process on its own schedule
      for (let i = 0; i < 100 && !s.err().includes(line); i++) await new Promise((res) => setTimeout(res, 20));
      expect(s.err()).toContain(line);
    }
    expect(s.err()).not.toContain('TypeError');
    expect(await s.stop()).toBe(0);
  });

  it.each([
    [['--import', 'test/cli/fixtures/default-style.mjs'], /serve needs at least one --socket/],
    [
      ['--http-socket', '127.0.0.1:0', '--http-socket-modifier1', '173', '--http-socket-modifier2', '7'],
      /use 173 with 2 \(PATH_INFO\)/,
    ],
    [['--socket', '127.0.0.1:0', '--route', '^/x'], /route = \^\/x: invalid route syntax/],
    [['--socket', '127.0.0.1:0', '--route', '^/x nosuch:a'], /no routing action "nosuch"/],
    [['--socket', '127.0.0.1:0', '--processes', '0'], /--processes 0: an integer 1..1024/],
    [['--socket', '127.0.0.1:0', '--engine', 'fast'], /--engine fast: use auto, wasm or ts/],
    [['--socket', '127.0.0.1:0', '--close-after-answer', 'always'], /--close-after-answer always: use lone or never/],
    [['--socket', '127.0.0.1:0', '--master'], /unknown option --master/],
    [['--socket'], /--socket needs a value/],
    [['--socket', '127.0.0.1:0', 'extra'], /serve takes no arguments/],
  ])('usage error %j: exit 2', async (args, message) => {
    const r = await run(['serve', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('bad http modifiers in an ini are refused; unknown ini keys are refused', async () => {
    const later = join(dir, 'later.ini');
    writeFileSync(later, '[uwsgi]\nsocket = 127.0.0.1:0\nhttp-socket = 127.0.0.1:0\nhttp-socket-modifier1 = 173\n');
    const r = await run(['serve', '--ini', later]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--http-socket-modifier1 173 --http-socket-modifier2 0: use 173 with 2/);
    const unknown = join(dir, 'unknown.ini');
    writeFileSync(unknown, '[uwsgi]\nsocket = 127.0.0.1:0\nmaster = true\nbogus = 1\n');
    const u = await run(['serve', '--ini', unknown]);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/unknown option "bogus"/);
    const missing = await run(['serve', '--ini', join(dir, 'nope.ini')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--ini \S*nope\.ini: ENOENT/);
    expect((await run(['serve', '--ini', `${later}:nosection`])).stderr).toMatch(/no \[nosection\] section/);
  });

  it('an ini shared with uWSGI: its uWSGI-only keys are skipped with one warning line', async () => {
    const tcp = `127.0.0.1:${await freePort()}`;
    const shared = join(dir, 'shared.ini');
    writeFileSync(
      shared,
      `[uwsgi]\nmaster = true\nplugins = python3,rpc\nsocket = ${tcp}\nimport = test/cli/fixtures/default-style.mjs\n`,
    );
    const s = await serve(['--ini', shared], 1);
    started.push(s);
    expect((await run(['call', tcp, 'hello'])).stdout.toString()).toBe('Hello World');
    expect(s.err()).toContain(
      `ignoring uWSGI-only ini options (no effect here): ${shared}: master, ${shared}: plugins`,
    );
    expect(await s.stop()).toBe(0);
  });

  it('failures at start: a broken --import, a missing file, a busy port: exit 1 with the reason', async () => {
    const port = await freePort();
    const broken = await run(['serve', '--socket', `127.0.0.1:${port}`, '--import', 'test/cli/fixtures/broken.mjs']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/--import test\/cli\/fixtures\/broken\.mjs: this module is broken on purpose/);
    const missing = await run(['serve', '--socket', `127.0.0.1:${port}`, '--import', 'nope.mjs']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--import nope\.mjs: no such file/);
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(port, '127.0.0.1', r));
    try {
      const r = await run(['serve', '--socket', `127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/EADDRINUSE/);
      expect(r.stdout.length).toBe(0);
    } finally {
      busy.close();
    }
  });
});
