import { describe, expect, it } from 'vitest';
import { parseNode } from '../../src/address/address.js';
import { RpcError } from '../../src/rpc-error.js';

describe('parseNode', () => {
  it('null, undefined and empty mean a local call', () => {
    expect(parseNode(null)).toBeNull();
    expect(parseNode(undefined)).toBeNull();
    expect(parseNode('')).toBeNull();
  });

  it('host:port, :port (127.0.0.1), [v6]:port', () => {
    expect(parseNode('10.0.0.1:3031')).toEqual({ kind: 'tcp', host: '10.0.0.1', port: 3031, key: '10.0.0.1:3031' });
    expect(parseNode('localhost:1')).toEqual({ kind: 'tcp', host: 'localhost', port: 1, key: 'localhost:1' });
    expect(parseNode(':3031')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 3031, key: '127.0.0.1:3031' });
    expect(parseNode('[::1]:65535')).toEqual({ kind: 'tcp', host: '::1', port: 65535, key: '[::1]:65535' });
  });

  it('unix sockets: any path with a slash, a name ending in .sock, @abstract', () => {
    expect(parseNode('/tmp/a.sock')).toEqual({ kind: 'unix', path: '/tmp/a.sock', key: '/tmp/a.sock' });
    expect(parseNode('./run/x:y')).toEqual({ kind: 'unix', path: './run/x:y', key: './run/x:y' });
    expect(parseNode('app.sock')).toEqual({ kind: 'unix', path: 'app.sock', key: 'app.sock' });
    expect(parseNode('@uwsgi')).toEqual({ kind: 'unix', path: '\0uwsgi', key: '@uwsgi' });
  });

  it('anything else is INVALID', () => {
    for (const bad of ['localhost', 'host:', 'host:0', 'host:65536', 'host:80x', 'host:-1', ':']) {
      let err: unknown;
      try {
        parseNode(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(RpcError);
      expect((err as RpcError).code).toBe('INVALID');
    }
  });
});
