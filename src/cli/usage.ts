// The CLI's overview text and UsageError (exit code 2).
/** `uwsgi-rpc --help`: the overview; each command's options are in its own help. */
export const USAGE = `usage:
  uwsgi-rpc serve --socket HOST:PORT --import FILE.mjs [OPTION...]
  uwsgi-rpc call [--raw] [--timeout MS] NODE FUNC [ARG...]
  uwsgi-rpc stubs NODE --lang py|ts [--out FILE]
  uwsgi-rpc version | --version | -v
  uwsgi-rpc --help | -h | help [serve|call|stubs]

serve   serves the functions that --import modules register, over the uwsgi RPC protocol
        (modifier1 173) as uWSGI does, and over HTTP and WebSocket if asked.
        Its options: uwsgi-rpc serve --help
call    calls a function on a uWSGI node (or a serve) and writes the result to stdout.
        Its options: uwsgi-rpc call --help
stubs   writes typed Python or TypeScript stubs for a node's typed functions (its rpc.discover).
        Its options: uwsgi-rpc stubs --help

example:
  npx uwsgi-rpc serve --socket 127.0.0.1:3031 --import examples/functions.mjs
  npx uwsgi-rpc call 127.0.0.1:3031 hello

Exit codes: 0 ok, 1 failure, 2 usage error. (npx answers \`npx uwsgi-rpc --version\` itself:
there, use \`npx uwsgi-rpc version\`.)
`;

/** The commands with a help of their own. */
export type Command = 'serve' | 'call' | 'stubs';

/** A mistake in the command line or an ini file: reported with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
