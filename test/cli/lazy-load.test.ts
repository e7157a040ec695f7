// `serve` loads what an option needs only when the option is given (idle RSS): with --socket
// alone, neither the WebSocket gateway (ws), prom-client, nor Node's http and tls modules.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const PROBE = join(__dirname, 'fixtures', 'loaded-modules.mjs');

interface Loaded {
  packages: string[];
  builtins: string[];
  /** The package's own files loaded, as paths from its root (dist/src/...). */
  modules: string[];
}

/** Runs serve with `args` under the probe, reads what was loaded once it is up, stops it with SIGINT. */
function loadedBy(args: string[]): Promise<Loaded> {
  // a functions module that imports nothing (examples/functions.mjs imports the package's root entry, all of it)
  const child = spawn(process.execPath, [PROBE, ...args, '--import', 'bench/servers/functions.mjs'], { cwd: ROOT });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no report within 10 s\nstdout: ${out}\nstderr: ${err}`));
    }, 10_000);
    let stopping = false;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      // the first listening line is reported at once; the other sockets' lines come soon after
      if (!stopping && /^loaded /m.test(out)) {
        stopping = true;
        setTimeout(() => child.kill('SIGINT'), 500);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const reports = [...out.matchAll(/^loaded (.*)$/gm)];
      const modules = [...out.matchAll(/^modules (.*)$/gm)];
      if (reports.length === 0 || modules.length === 0 || code !== 0)
        reject(new Error(`exit ${code}\nstdout: ${out}\nstderr: ${err}`));
      else
        resolve({
          ...(JSON.parse(reports[reports.length - 1][1]) as Omit<Loaded, 'modules'>),
          modules: JSON.parse(modules[modules.length - 1][1]) as string[],
        });
    });
  });
}

const HEAVY_BUILTINS = ['http', 'https', '_http_server', 'tls', '_tls_wrap', 'crypto'];
/** What a plain uwsgi socket never needs: the HTTP side, the client, the subscriber, the other commands. */
const OPTIONAL_CODE = [
  'dist/src/server/http-service.js',
  'dist/src/dispatch/dispatcher.js',
  'dist/src/bridges/',
  'dist/src/client/client.js',
  'dist/src/subscription/subscriber.js',
  'dist/src/cli/call.js',
  'dist/src/cli/stubs.js',
];
const optional = (modules: string[]) => modules.filter((m) => OPTIONAL_CODE.some((o) => m.startsWith(o)));

describe('serve loads optional pieces on demand', () => {
  it('--socket alone: no ws, no prom-client, no http or tls module', async () => {
    const loaded = await loadedBy(['--socket', '127.0.0.1:0']);
    expect(loaded.packages).not.toContain('ws');
    expect(loaded.packages).not.toContain('prom-client');
    expect(loaded.builtins.filter((b) => HEAVY_BUILTINS.includes(b))).toEqual([]);
    expect(loaded.modules).toContain('dist/src/server/server.js');
    expect(optional(loaded.modules)).toEqual([]);
  });

  it('the probe sees them when an option needs them: --metrics loads http, --ws-socket ws, --http-socket the HTTP service', async () => {
    const metrics = await loadedBy(['--socket', '127.0.0.1:0', '--metrics', '127.0.0.1:0']);
    expect(metrics.builtins).toContain('http');
    const gateway = await loadedBy(['--socket', '127.0.0.1:0', '--ws-socket', '127.0.0.1:0']);
    expect(gateway.packages).toContain('ws');
    const http = await loadedBy(['--socket', '127.0.0.1:0', '--http-socket', '127.0.0.1:0']);
    expect(optional(http.modules)).toEqual(
      expect.arrayContaining(['dist/src/server/http-service.js', 'dist/src/dispatch/dispatcher.js']),
    );
  });
});
