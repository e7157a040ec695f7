// `uwsgi-rpc call`: one call with RpcClient, its result written to stdout exactly.
import { readFileSync } from 'node:fs';
import { RpcClient } from '../client/client.js';
import type { ClientTlsOptions } from '../client/options.js';
import { RpcError } from '../rpc-error.js';
import { type OptionSpecs, parseArgs, wantsHelp } from './args.js';
import { CALL_HELP } from './call-help.js';
import { UsageError } from './usage.js';

export const CALL_OPTIONS: OptionSpecs = {
  raw: { value: false },
  timeout: { value: true },
  ca: { value: true },
  cert: { value: true },
  key: { value: true },
  help: { value: false },
};

/**
 * `uwsgi-rpc call NODE FUNC [ARG...]`: the result's exact bytes on stdout (exit 0), or
 * `uwsgi-rpc: CODE: message` on stderr (exit 1).
 */
export async function call(argv: readonly string[]): Promise<number> {
  if (wantsHelp(argv)) {
    await writeOut(CALL_HELP);
    return 0;
  }
  const { entries, positional } = parseArgs(argv, CALL_OPTIONS);
  let raw = false;
  let timeout: number | undefined;
  const files: Partial<Record<'ca' | 'cert' | 'key', string>> = {};
  for (const [name, value] of entries) {
    if (name === 'raw') raw = true;
    if (name === 'ca' || name === 'cert' || name === 'key') files[name] = value;
    if (name === 'timeout') {
      if (!/^\d+$/.test(value))
        throw new UsageError(`--timeout ${value}: use a whole number of milliseconds (0: none)`);
      timeout = Number(value);
    }
  }
  if (positional.length < 2) throw new UsageError('call needs a node (HOST:PORT or PATH.sock) and a function name');
  const [node, name, ...args] = positional;
  const client = new RpcClient({ ...(timeout === undefined ? {} : { timeout }), tls: readTlsFiles(files) });
  try {
    const result = await client.call(node, name, args, { raw });
    await writeOut(result);
    return 0;
  } catch (err) {
    if (!(err instanceof RpcError)) throw err;
    process.stderr.write(`uwsgi-rpc: ${err.code}: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  } finally {
    client.close();
  }
}

/** --ca, --cert, --key: the files' PEM text; a file that cannot be read is a usage error. */
function readTlsFiles(files: Partial<Record<'ca' | 'cert' | 'key', string>>): ClientTlsOptions {
  if ((files.cert === undefined) !== (files.key === undefined))
    throw new UsageError('--cert and --key go together (a client certificate and its key)');
  const tls: ClientTlsOptions = {};
  for (const name of ['ca', 'cert', 'key'] as const) {
    const path = files[name];
    if (path === undefined) continue;
    try {
      tls[name] = readFileSync(path, 'utf8');
    } catch (err) {
      throw new UsageError(`--${name} ${path}: ${(err as Error).message}`);
    }
  }
  return tls;
}

/** Writes to stdout and waits until it is handed off; a reader that went away is not an error. */
function writeOut(data: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.stdout.off('error', done);
      resolve();
    };
    process.stdout.once('error', done);
    process.stdout.write(data, () => done());
  });
}
