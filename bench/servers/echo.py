import uwsgi

def echo(*args):
    return b'|'.join(args)

# n bytes (the 1 MB result case)
def big(n):
    return b'x' * int(n)

uwsgi.register_rpc('echo', echo)
uwsgi.register_rpc('big', big)
