// `uwsgi-rpc stubs --help`, apart from the command so that `help stubs` does not load the client.
export const STUBS_HELP = `usage: uwsgi-rpc stubs NODE --lang py|ts [--out FILE] [--timeout MS]

Reads rpc.discover from NODE (a uwsgi-rpc serve with a typed catalog) and writes typed stubs
for its typed functions (untyped ones are left out) to FILE, or to stdout:
  --lang py   a Python module for an app under uWSGI: one function per typed function, with
              type hints, calling uwsgi.rpc(NODE, ...) (a node= keyword picks another node),
              converting args and results; RpcNoAnswer when the node gives no answer
  --lang ts   a TypeScript module: a catalog of specs for client.bind(NODE, catalog)

example:
  npx uwsgi-rpc stubs 127.0.0.1:3031 --lang py --out math_rpc.py
`;
