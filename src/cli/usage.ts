export const USAGE = `usage:
  uwsgi-rpc serve --socket HOST:PORT [--socket PATH.sock]... [--http-socket HOST:PORT]...
                  [--import FILE.mjs]... [--route 'REGEX action:args']... [--ini FILE[:SECTION]]...
                  [--http-socket-modifier1 173 --http-socket-modifier2 2|3|4] [--engine auto|wasm|ts]
                  [--listen N] [--max-conns N] [--socket-timeout S] [--keepalive-timeout S]
                  [--harakiri S] [--buffer-size BYTES] [--max-inflight N] [--max-pending-bytes BYTES]
                  [--processes N] [--chmod-socket MODE] [--allow NET/BITS]...
                  [--ws-socket HOST:PORT [--ws-forward NODE]... [--ws-origin ORIGIN]...]
                  [--subscribe-to [ADDRESS=]SERVER:PORT:KEY[,MODIFIER1[,DIGEST:KEYFILE]]]...
                  [--subscribe2 server=SERVER:PORT,key=KEY[,addr=..,socket=N,weight=N,modifier1=N,modifier2=N,..]]...
                  [--subscribe-freq S] [--weight N] [--subscribe-with-modifier1 N] [--unsubscribe-grace S]
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
        --http-socket serves HTTP; HTTP requests (and nginx's uwsgi_pass with modifier1 0)
        go through uWSGI-style routes: --route, --route-uri, --route-qs, --route-host,
        --route-remote-addr, --route-user-agent, --route-referer, --route-remote-user,
        --route-label, --route-run, with the actions rpc/call, rpcnext/rpcblob, rpcret,
        rpcraw, rpcvar, continue/last, break, return, goto, log, addheader, addvar.
        --http-socket-modifier1 173 --http-socket-modifier2 N sends every HTTP request to an
        RPC bridge: 2 PATH_INFO (/func/arg/...), 3 XML-RPC, 4 JSON-RPC 2.0.
        Limits (uWSGI's names where it has one; S = seconds, 0 = none): --listen backlog
        (511), --max-conns open connections (10000), --socket-timeout a silent or half-sent
        or not-reading peer (4), --keepalive-timeout idle between requests (15), --harakiri
        a call running longer is abandoned (0), --buffer-size largest request (65535),
        --max-inflight calls per connection (1024), --max-pending-bytes unsent answer bytes
        per connection (1048576) before it stops reading.
        --processes N runs N workers sharing the sockets (node:cluster); a worker that dies
        is restarted; SIGINT/SIGTERM to the primary stops them all gracefully.
        --chmod-socket 660 sets unix sockets' mode (1: 666, as uWSGI); --allow NET/BITS
        (repeatable) lets only those client networks use TCP sockets.
        --ws-socket serves a WebSocket gateway for web pages (binary messages: uwsgi request
        packets in, response packets out, in order; a failed call: a text frame
        {"error":CODE,"message":...}) and a demo page at http://HOST:PORT/. Plain names call
        the imported functions; func@NODE and unknown names go to the --ws-forward nodes
        (the first is the default). --ws-origin allows pages of that origin ('*': any;
        default: only the gateway's own pages).
        --subscribe-to (alias --st, --subscribe; repeatable) joins a uWSGI router's pool as a
        uWSGI node does: UDP datagrams to the router's subscription server announcing the first
        --socket (or ADDRESS) under KEY (a rawrouter's key is its own socket name; a fastrouter's
        a host name; SERVER:PORT:@FILE reads KEY[,MODIFIER1] lines), every --subscribe-freq
        seconds (10); --weight (default: --processes); DIGEST:KEYFILE signs them for a router
        run with --subscriptions-sign-check. --subscribe2 takes uWSGI's key=value form (also
        sign=, check=FILE: silent while FILE exists, sni_key/sni_crt/sni_ca; its weight applies
        to that subscription only). On SIGINT/SIGTERM the node unsubscribes, keeps
        accepting --unsubscribe-grace seconds (1), then closes as above.
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
