// The text of `uwsgi-rpc call --help`.
import { DEFAULT_TIMEOUT } from '../client/options.js';
import { optionTable } from './help-format.js';

/** `uwsgi-rpc call --help`. The default timeout is the client's own. */
export const CALL_HELP = `usage: uwsgi-rpc call [--raw] [--timeout MS] [--ca FILE] [--cert FILE --key FILE] NODE FUNC [ARG...]

Calls FUNC on NODE with the ARGs and writes the result's bytes to stdout, exactly (no newline
added). NODE: HOST:PORT, :PORT (127.0.0.1), [v6]:PORT, a unix socket path, @NAME (a Linux
abstract socket), or suwsgi://HOST:PORT: the uwsgi protocol over TLS (uWSGI's --ssl-socket).
Put ARGs that start with "-" after "--" (negative numbers need not).

example:
  npx uwsgi-rpc call 127.0.0.1:3031 echo a b       # writes a|b (the server of \`serve --help\`)

${optionTable([
  [
    '--raw',
    "asks for the bare result (modifier2 1, as nginx's uwsgi_modifier2 1): the bytes up to the end of the connection",
  ],
  ['--timeout MS', `bounds the whole call, in milliseconds (default ${DEFAULT_TIMEOUT}; 0: none)`],
  ['--ca FILE', "suwsgi://: the CA (PEM) the node's certificate must chain to (default: the public CAs)"],
  ['--cert FILE', 'suwsgi://: a client certificate (PEM) for nodes that require one; with --key'],
  ['--key FILE', "suwsgi://: the client certificate's private key (PEM)"],
  ['--help, -h', 'this help'],
])}
Exit codes: 0 the result is on stdout; 1 the call failed ("uwsgi-rpc: CODE: message" on stderr:
REFUSED, TIMEOUT, NO_ANSWER, TLS, TOO_LARGE ...); 2 usage error.
`;
