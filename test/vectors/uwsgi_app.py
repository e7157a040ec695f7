# uWSGI helper for test/vectors/capture.mjs (loaded with --wsgi-file by a real
# uWSGI 2.0 started with `--plugin python3,rpc`). Not part of the package.
#
# 1. Registers the RPC functions whose answers capture.mjs records
#    (rpc-response*.bin): hello, echo, big.
# 2. Exposes a WSGI app (served on --http-socket) that calls uWSGI's own RPC
#    *client*, uwsgi.rpc(), against the Node listener of capture.mjs, so the
#    listener can record the request packet exactly as uWSGI sends it
#    (rpc-request*.bin).
import hashlib
import json
from urllib.parse import parse_qs

import uwsgi

BIG_LEN = 70000


def hello(*args):
    # accepts (and ignores) arguments so that nginx's modifier2 1 packet
    # (hello foo bar "") can be replayed against it
    return b'Hello World'


def echo(*args):
    return b'|'.join(args)


def big(*args):
    return bytes(i % 251 for i in range(BIG_LEN))


uwsgi.register_rpc('hello', hello)
uwsgi.register_rpc('echo', echo)
uwsgi.register_rpc('big', big)


def _describe(value):
    if value is None:
        return None
    return {
        'len': len(value),
        'sha256': hashlib.sha256(value).hexdigest(),
        'head_hex': value[:32].hex(),
    }


def application(environ, start_response):
    q = parse_qs(environ.get('QUERY_STRING', ''))
    node = '127.0.0.1:' + q['port'][0]
    out = {}
    try:
        # the call the golden vector rpc-request.bin comes from
        out['hello'] = _describe(uwsgi.rpc(node, b'hello', b'foo', b'bar\x00\xff'))
        # a call without arguments, answered by the Node listener with the
        # 64-bit form (modifier2 5 + CONTENT_LENGTH dict + raw body)
        out['big'] = _describe(uwsgi.rpc(node, b'big'))
        # a call with an empty argument in the middle: does the client send it?
        out['echo'] = _describe(uwsgi.rpc(node, b'echo', b'a', b'', b'b'))
    except Exception as e:  # reported back to capture.mjs, which fails loudly
        out['error'] = repr(e)
    body = json.dumps(out).encode()
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(body)))])
    return [body]
