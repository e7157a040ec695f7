// The text of `uwsgi-rpc serve --help`, its defaults taken from the constants the server uses.
import {
  DEFAULT_CLOSE_AFTER_ANSWER,
  DEFAULT_ENGINE,
  DEFAULT_LIMITS,
  DEFAULT_UNSUBSCRIBE_GRACE,
} from '../server/options.js';
import { DEFAULT_SUBSCRIBE_FREQ } from '../subscription/spec.js';
import { type HelpRow, optionTable } from './help-format.js';
import { DEFAULT_PROCESSES } from './serve-options.js';
import { DEFAULT_LOG_FORMAT } from './log-format.js';

// Defaults come from the constants the server uses, so this text cannot drift from them.
const L = DEFAULT_LIMITS;
const seconds = (ms: number) => String(ms / 1000);

const SOCKETS: HelpRow[] = [
  ['--socket ADDRESS', "the uwsgi RPC protocol (uWSGI's clients, nginx's uwsgi_pass, uwsgi-rpc call); repeatable"],
  [
    '--ssl-socket ADDR,CERT,KEY[,CIPHERS[,CA]]',
    "the uwsgi protocol over TLS (nginx's uwsgi_pass suwsgi://, uwsgi-rpc call suwsgi://); files in PEM; CIPHERS " +
      "empty: OpenSSL's; a CA (uWSGI's !CA too): clients must show a certificate it signed; SIGHUP re-reads the " +
      'files; a handshake must end within --socket-timeout; repeatable',
  ],
  ['--suwsgi-socket ADDR,CERT,KEY[,CIPHERS[,CA]]', 'the same as --ssl-socket (uWSGI has both names)'],
  ['--http-socket ADDRESS', 'HTTP, answered by the --route rules or by a bridge (below); repeatable'],
  [
    '--http-socket-modifier1 173',
    'with --http-socket-modifier2 N: every HTTP request goes to a bridge (default 0 and 0: to the routes)',
  ],
  ['--http-socket-modifier2 N', 'the bridge: 2 PATH_INFO (/func/arg/...), 3 XML-RPC, 4 JSON-RPC 2.0'],
  [
    '--https-socket ADDR,CERT,KEY[,CIPHERS[,CA]]',
    "HTTP over TLS, as --http-socket (HTTPS=on in the vars), with --ssl-socket's fields; repeatable",
  ],
  ['--https-socket-modifier1 173', "with --https-socket-modifier2 N: the https sockets' bridge (as uWSGI, apart)"],
  ['--https-socket-modifier2 N', 'as --http-socket-modifier2, for --https-socket'],
  [
    '--ws-socket HOST:PORT',
    'a WebSocket gateway for web pages (binary messages: uwsgi request packets in, answers out, in order) and a ' +
      'demo page at http://HOST:PORT/; repeatable',
  ],
  [
    '--ws-forward NODE',
    'the gateway sends names not served here to the first of these, and func@NODE to NODE; repeatable',
  ],
  [
    '--ws-origin ORIGIN',
    "pages of ORIGIN may use the gateway ('*': any; default: only the gateway's own pages); repeatable",
  ],
  ['--chmod-socket MODE', "unix sockets' mode: 660, or 1 for 666 as uWSGI (default: the umask)"],
  ['--allow NET/BITS', 'only these client networks may use the TCP sockets; repeatable (default: all)'],
];

const FUNCTIONS: HelpRow[] = [
  [
    '--import FILE.mjs',
    'a module that registers functions, as examples/functions.mjs does: its default export is called with the ' +
      "server, (rpc) => rpc.register(NAME, FN), or it imports register from 'uwsgi-rpc'; repeatable",
  ],
  ['--engine auto|wasm|ts', `the codec engine (default ${DEFAULT_ENGINE})`],
  [
    '--ini FILE[:SECTION]',
    'options from a uWSGI-style ini section (default [uwsgi]): socket = ..., import = ...; uWSGI-only keys are ' +
      'skipped with a warning; repeatable',
  ],
];

const ROUTES: HelpRow[] = [
  [
    "--route 'REGEX ACTION:ARGS'",
    'a uWSGI route on PATH_INFO, for --http-socket and nginx requests (modifier1 0); the same on other subjects: ' +
      '--route-uri, --route-qs, --route-host, --route-remote-addr, --route-user-agent, --route-referer, ' +
      '--route-remote-user',
  ],
  ['--route-label NAME', 'a place for goto'],
  ['--route-run ACTION:ARGS', 'an action for every request'],
  [
    '',
    'actions: rpc/call, rpcnext/rpcblob, rpcret, rpcraw, rpcvar, continue/last, break, return, goto, log, ' +
      'addheader, addvar',
  ],
];

const LIMITS: HelpRow[] = [
  ['--listen N', `listen queue (default ${L.backlog})`],
  [
    '--max-conns N',
    'open connections (on the uwsgi sockets, and as many on the HTTP ones); at the limit a new one takes the ' +
      'place of an idle one or of a request not whole yet, or is closed at once if a call or HTTP request runs ' +
      `on every one (default ${L.maxConns})`,
  ],
  [
    '--socket-timeout S',
    `closes a peer that sends nothing, leaves a packet half sent, or reads none of its answer (default ${seconds(L.socketTimeout)})`,
  ],
  [
    '--request-timeout S',
    `closes a peer whose request (a uwsgi packet, an HTTP request's head) is not whole this long after its first ` +
      `byte, however slowly it drips (default ${seconds(L.requestTimeout)}; 0: none)`,
  ],
  ['--keepalive-timeout S', `closes a connection idle between requests (default ${seconds(L.keepaliveTimeout)})`],
  [
    '--close-after-answer lone|never',
    'lone: a connection whose first request comes alone, without the keep-open mark that keep-alive clients of ' +
      "this package send, is ended with its answer, as uWSGI ends every connection (one-shot callers: uWSGI's " +
      `uwsgi.rpc, nginx); never: kept open until the peer closes it (default ${DEFAULT_CLOSE_AFTER_ANSWER})`,
  ],
  ['--harakiri S', `abandons a call running longer, closing its connection (default ${seconds(L.harakiri)}: none)`],
  ['--buffer-size BYTES', `largest request: a uwsgi packet's body, an HTTP request's head (default ${L.bufferSize})`],
  ['--max-inflight N', `calls per connection before it stops reading (default ${L.maxInFlight})`],
  [
    '--max-pending-bytes BYTES',
    `unsent answer bytes per connection before it stops running calls (default ${L.maxPendingBytes})`,
  ],
  [
    '--processes N',
    'worker processes (node:cluster); the primary binds the sockets and hands each connection to a worker, taking ' +
      'back those a dying worker had not taken; a worker that dies is restarted (default ' +
      `${DEFAULT_PROCESSES})`,
  ],
  [
    '--shared-accept',
    'with --processes, every worker accepts on the shared sockets itself (node:cluster SCHED_NONE, as uWSGI workers ' +
      'do) instead of the primary handing each connection over; the kernel may spread connections unevenly ' +
      '(default: off)',
  ],
  [
    '--reuse-port',
    'each process binds its TCP sockets itself (SO_REUSEPORT, Node 22.12+): the kernel spreads connections over the ' +
      'workers instead of the primary handing each over (faster per connection), and another serve may share the port; ' +
      'a worker killed hard also loses the connections waiting in its accept queue (default: off, as uWSGI)',
  ],
];

const SUBSCRIPTIONS: HelpRow[] = [
  ['--subscribe-to [ADDRESS=]SERVER:PORT:KEY[,MODIFIER1[,DIGEST:KEYFILE]]', ''],
  [
    '',
    "announces the first --socket (or ADDRESS) to a uWSGI router's subscription server under KEY (a rawrouter's key" +
      " is its own socket name, a fastrouter's a host name; SERVER:PORT:@FILE reads KEY[,MODIFIER1] lines); " +
      'DIGEST:KEYFILE signs the announcements; aliases --st, --subscribe; repeatable',
  ],
  ['--subscribe2 server=SERVER:PORT,key=KEY[,...]', ''],
  [
    '',
    "the same in uWSGI's key=value form; also addr=ADDRESS, socket=N (the Nth --socket), weight=N, modifier1=N, " +
      'modifier2=N, sign=DIGEST:KEYFILE, check=FILE (silent while FILE exists), sni_key/sni_crt/sni_ca; repeatable',
  ],
  ['--subscribe-freq S', `announces again every S seconds (default ${DEFAULT_SUBSCRIBE_FREQ})`],
  ['--weight N', "this node's share of the router's calls (default: --processes)"],
  ['--subscribe-with-modifier1 N', "announces this modifier1 for every subscription (default: each one's own, else 0)"],
  [
    '--unsubscribe-grace S',
    `on SIGINT/SIGTERM: unsubscribes, accepts this long, then closes (default ${seconds(DEFAULT_UNSUBSCRIBE_GRACE)})`,
  ],
];

const OBSERVING: HelpRow[] = [
  [
    '--stats ADDRESS',
    "uWSGI's stats server: each connection gets the JSON document uWSGI 2.0.21 writes (uwsgitop, netdata, " +
      'Telegraf, Datadog read it), then is closed; with --processes, one worker entry per process',
  ],
  ['--stats-http', 'the stats document as an HTTP/1.0 answer'],
  ['--stats-minified', 'the stats document without whitespace'],
  [
    '--metrics HOST:PORT',
    'Prometheus metrics at http://HOST:PORT/metrics (per function calls, failures by reason, latency; ' +
      'connections, bytes; Node process metrics), added up over --processes workers; a live dashboard at ' +
      'http://HOST:PORT/',
  ],
  [
    '--log-format text|json',
    `stderr lines as text, or one JSON object per line: time, level, event, peer, function, message (default ${DEFAULT_LOG_FORMAT})`,
  ],
];

/** `uwsgi-rpc serve --help`. */
export const SERVE_HELP = `usage: uwsgi-rpc serve OPTION...

Serves the functions the --import modules register, speaking the uwsgi RPC protocol
(modifier1 173) as uWSGI does. Prints one line per listening address once ready;
SIGINT/SIGTERM let running calls finish, then exit 0 (a second signal: at once). Options
have uWSGI's names, and each is also an --ini key. ADDRESS: HOST:PORT, :PORT (127.0.0.1),
or a unix socket path. S: seconds (0: none).

example:
  npx uwsgi-rpc serve --socket 127.0.0.1:3031 --import examples/functions.mjs
  npx uwsgi-rpc call 127.0.0.1:3031 hello        # in another terminal: Hello World

sockets (at least one of --socket, --ssl-socket, --http-socket, --https-socket, --ws-socket):
${optionTable(SOCKETS)}
functions:
${optionTable(FUNCTIONS)}
HTTP routes:
${optionTable(ROUTES)}
limits:
${optionTable(LIMITS)}
joining a uWSGI router's pool:
${optionTable(SUBSCRIPTIONS)}
watching the node:
${optionTable(OBSERVING)}
${optionTable([['--help, -h', 'this help']])}
Exit codes: 0 stopped by a signal, 1 failure (a broken --import, a busy port), 2 usage error.
`;
