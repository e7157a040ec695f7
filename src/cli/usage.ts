export const USAGE = `usage:
  uwsgi-rpc serve --socket HOST:PORT [--socket PATH.sock]... [--import FILE.mjs]...
                  [--ini FILE[:SECTION]]... [--engine auto|wasm|ts]
  uwsgi-rpc call [--raw] [--timeout MS] HOST:PORT|PATH.sock FUNC [ARG...]
  uwsgi-rpc help

serve   serves the RPC functions that the --import modules register, on every --socket
        (HOST:PORT, :PORT for 127.0.0.1, or a unix socket path), speaking the uwsgi RPC
        protocol (modifier1 173) as uWSGI does. A module registers functions through its
        default export, \`export default (rpc) => { rpc.register('hello', () => 'Hello World') }\`,
        or with \`import { register } from 'uwsgi-rpc'\`. --ini reads options from a
        uWSGI-style [uwsgi] section (socket = ..., import = ..., engine = ...). Prints one
        line per listening address once ready; SIGINT/SIGTERM let running calls finish,
        then exit.
call    calls FUNC on a node and writes the result bytes to stdout, exactly (no newline
        added). --raw asks for the bare result (modifier2 1); --timeout MS bounds the call.
        Failures print "uwsgi-rpc: CODE: message" on stderr and exit 1. Put ARGs that
        start with "-" after "--".

Exit codes: 0 ok, 1 failure, 2 usage error.
`;

/** A mistake in the command line or an ini file: reported with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
