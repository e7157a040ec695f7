// The command line's dispatcher: serve, call, stubs, help, version; exit codes.
import { CALL_HELP } from './call-help.js';
import { serve } from './serve.js';
import { STUBS_HELP } from './stubs-help.js';
import { SERVE_HELP } from './serve-help.js';
import { type Command, USAGE, UsageError } from './usage.js';
import { packageVersion } from './version.js';

const HELP: Readonly<Record<Command, string>> = { serve: SERVE_HELP, call: CALL_HELP, stubs: STUBS_HELP };

/**
 * The `uwsgi-rpc` command (bin/uwsgi-rpc.js). Returns the exit code: 0 ok, 1 failure,
 * 2 usage error.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      // call and stubs load when they run: a server has no use for the client or the stub writers
      // (idle RSS, bench/NOTES.md issue 17 item 4)
      case 'call':
        return await (await import('./call.js')).call(rest);
      case 'stubs':
        return await (await import('./stubs.js')).stubs(rest);
      case 'help':
      case '--help':
      case '-h':
        return help(rest[0]);
      case 'version':
      case '--version':
      case '-v':
        process.stdout.write(`${packageVersion()}\n`);
        return 0;
      case undefined:
        process.stderr.write(USAGE);
        return 2;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const where =
        command === 'serve' || command === 'call' || command === 'stubs'
          ? `uwsgi-rpc ${command} --help`
          : 'uwsgi-rpc --help';
      process.stderr.write(`uwsgi-rpc: ${err.message}\n(${where} shows the usage)\n`);
      return 2;
    }
    process.stderr.write(`uwsgi-rpc: ${oneLine(err)}\n`);
    return 1;
  }
}

/** `help`, `help serve`, `help call`, `help stubs`. */
function help(topic: string | undefined): number {
  if (topic === undefined) process.stdout.write(USAGE);
  else if (topic === 'serve' || topic === 'call' || topic === 'stubs') process.stdout.write(HELP[topic]);
  else throw new UsageError(`no help on "${topic}": use serve, call or stubs`);
  return 0;
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
}
