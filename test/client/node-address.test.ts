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
    expect(parseNode('10.0.0.1:3031')).toEqual({
      kind: 'tcp',
      host: '10.0.0.1',
      port: 3031,
      key: '10.0.0.1:3031',
      tls: false,
    });
    expect(parseNode('localhost:1')).toEqual({
      kind: 'tcp',
      host: 'localhost',
      port: 1,
      key: 'localhost:1',
      tls: false,
    });
    expect(parseNode(':3031')).toEqual({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 3031,
      key: '127.0.0.1:3031',
      tls: false,
    });
    expect(parseNode('[::1]:65535')).toEqual({ kind: 'tcp', host: '::1', port: 65535, key: '[::1]:65535', tls: false });
  });

  it('unix sockets: any path with a slash, a name ending in .sock, @abstract', () => {
    expect(parseNode('/tmp/a.sock')).toEqual({ kind: 'unix', path: '/tmp/a.sock', key: '/tmp/a.sock', tls: false });
    expect(parseNode('./run/x:y')).toEqual({ kind: 'unix', path: './run/x:y', key: './run/x:y', tls: false });
    expect(parseNode('app.sock')).toEqual({ kind: 'unix', path: 'app.sock', key: 'app.sock', tls: false });
    expect(parseNode('@uwsgi')).toEqual({ kind: 'unix', path: '\0uwsgi', key: '@uwsgi', tls: false });
  });

  it('suwsgi://host:port is a TLS node, pooled apart from host:port; uwsgi://host:port is host:port', () => {
    expect(parseNode('suwsgi://10.0.0.1:3031')).toEqual({
      kind: 'tcp',
      host: '10.0.0.1',
      port: 3031,
      key: 'suwsgi://10.0.0.1:3031',
      tls: true,
    });
    expect(parseNode('suwsgi://[::1]:9')?.key).toBe('suwsgi://[::1]:9');
    expect(parseNode('uwsgi://h:1')).toEqual({ kind: 'tcp', host: 'h', port: 1, key: 'h:1', tls: false });
  });

  it('anything else is INVALID', () => {
    for (const bad of [
      'localhost',
      'host:',
      'host:0',
      'host:65536',
      'host:80x',
      'host:-1',
      ':',
      'suwsgi://',
      'suwsgi://h',
      'suwsgi:///tmp/a.sock',
      'suwsgi://@abstract',
      'suwsgi://h:0',
    ]) {
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
