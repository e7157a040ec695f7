// `uwsgi-rpc stubs NODE --lang py|ts [--out FILE]`: typed stubs for callers in other languages and repos, from
// the node's rpc.discover.
import { writeFileSync } from 'node:fs';
import { RpcClient } from '../client/client.js';
import { RpcError } from '../rpc-error.js';
import type { FunctionSig } from '../typed/catalog.js';
import { type OptionSpecs, parseArgs, wantsHelp } from './args.js';
import { pythonStubs } from './stubs-python.js';
import { typescriptStubs } from './stubs-typescript.js';
import { UsageError } from './usage.js';
import { STUBS_HELP } from './stubs-help.js';

const STUBS_OPTIONS: OptionSpecs = {
  lang: { value: true },
  out: { value: true },
  timeout: { value: true },
  help: { value: false },
};

/** `uwsgi-rpc stubs NODE --lang py|ts`: 0 when written, 1 when the node has no rpc.discover we can read. */
export async function stubs(argv: readonly string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(STUBS_HELP);
    return 0;
  }
  const { entries, positional } = parseArgs(argv, STUBS_OPTIONS);
  const options = new Map(entries);
  const lang = options.get('lang');
  if (lang !== 'py' && lang !== 'ts') throw new UsageError('stubs needs --lang py or --lang ts');
  const timeout = options.get('timeout');
  if (timeout !== undefined && !/^\d+$/.test(timeout))
    throw new UsageError(`--timeout ${timeout}: use a whole number of milliseconds (0: none)`);
  if (positional.length !== 1) throw new UsageError('stubs needs one node (HOST:PORT or PATH.sock)');
  const node = positional[0];
  const client = new RpcClient(timeout === undefined ? {} : { timeout: Number(timeout) });
  let functions: [string, FunctionSig][];
  try {
    functions = Object.entries(await client.discover(node));
  } catch (err) {
    if (err instanceof RpcError && err.code === 'NO_ANSWER')
      throw new Error(`${node}: no answer to rpc.discover (a node registers it with its first typed catalog)`);
    throw err;
  } finally {
    await client.close();
  }
  const text = lang === 'py' ? pythonStubs(node, functions) : typescriptStubs(node, functions);
  const out = options.get('out');
  if (out === undefined) process.stdout.write(text);
  else writeFileSync(out, text);
  return 0;
}
