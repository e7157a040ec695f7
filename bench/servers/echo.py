import uwsgi

def echo(*args):
    return b'|'.join(args)

uwsgi.register_rpc('echo', echo)
