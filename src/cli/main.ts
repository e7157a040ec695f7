import { call } from './call.js';
import { serve } from './serve.js';
import { USAGE, UsageError } from './usage.js';

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
      case 'call':
        return await call(rest);
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      case undefined:
        process.stderr.write(USAGE);
        return 2;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`uwsgi-rpc: ${err.message}\n(uwsgi-rpc --help shows the usage)\n`);
      return 2;
    }
    process.stderr.write(`uwsgi-rpc: ${oneLine(err)}\n`);
    return 1;
  }
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
}
