import { describe, expect, it } from 'vitest';
import { xmlRpcBridge } from '../../src/bridges/xmlrpc-bridge.js';
import { HttpResponse } from '../../src/http/response.js';
import { requirePeer, which } from '../helpers/peers.js';
import { logLines, testTarget } from './helpers.js';
import { pyDumps, pyLoads } from './python-xmlrpc.js';

const enc = new TextEncoder();

async function call(body: Uint8Array | string) {
  const res = new HttpResponse();
  const { lines, log } = logLines();
  await xmlRpcBridge(typeof body === 'string' ? enc.encode(body) : body, res, testTarget(), log);
  res.finish();
  const bodyBytes = Buffer.concat(res.body.map((b) => Buffer.from(b)));
  return { res, body: bodyBytes, lines };
}

describe.runIf(requirePeer('python3', which('python3') !== null, 'install python3'))(
  "XML-RPC bridge with Python's xmlrpc.client codec",
  () => {
    it('answers a call with a string value', async () => {
      const { res, body } = await call(pyDumps('echo', ['a', 'b é']));
      expect(res.head?.status).toBe('200 OK');
      expect(res.head?.headers).toContainEqual(['Content-Type', 'text/xml']);
      expect(res.head?.headers).toContainEqual(['Content-Length', String(body.length)]);
      expect(pyLoads(body)).toEqual({ result: 'a|b é' });
    });

    it('passes ints, booleans and binary (base64) params as bytes; binary results come back as base64', async () => {
      expect(
        pyLoads((await call(pyDumps('echo', [42, true, { binary: Buffer.from([0, 0xff]).toString('base64') }]))).body),
      ).toEqual({ result: { binary: Buffer.from('42|1|\0\xff', 'latin1').toString('base64') } });
      expect(pyLoads((await call(pyDumps('binary', []))).body)).toEqual({
        result: { binary: Buffer.from([0xff, 0, 0xfe]).toString('base64') },
      });
    });

    it('keeps XML-special chars and \\r in result strings', async () => {
      // Python writes \r bare into its request, where XML reads it as a line end: send it as base64.
      const crlf = { binary: Buffer.from('x\r\ny').toString('base64') };
      expect(pyLoads((await call(pyDumps('echo', ['<&>"\'', crlf]))).body)).toEqual({ result: '<&>"\'|x\r\ny' });
    });

    it('lists methods', async () => {
      const { result } = pyLoads((await call(pyDumps('system.listMethods', []))).body);
      expect(result).toContain('echo');
      expect(result).toContain('system.listMethods');
    });

    it('answers faults with the interoperability codes', async () => {
      expect(pyLoads((await call(pyDumps('nope', []))).body).fault?.[0]).toBe(-32601);
      const failed = await call(pyDumps('fail', []));
      expect(pyLoads(failed.body).fault).toEqual([-32500, 'fail failed']);
      expect(failed.lines.join()).toMatch(/it failed/);
      expect(pyLoads((await call('<methodCall><methodName>x</methodName>')).body).fault?.[0]).toBe(-32700);
      expect(pyLoads((await call('<methodResponse/>')).body).fault?.[0]).toBe(-32600);
      expect(pyLoads((await call('<methodCall><params/></methodCall>')).body).fault?.[0]).toBe(-32600);
      const arr =
        '<methodCall><methodName>echo</methodName><params><param><value><array><data/></array></value></param></params></methodCall>';
      expect(pyLoads((await call(arr)).body).fault?.[0]).toBe(-32602);
      expect(pyLoads((await call('<?xml version="1.0" encoding="latin-1"?><methodCall/>')).body).fault?.[0]).toBe(
        -32701,
      );
    });

    it('answers a billion laughs document with a fault, at once', async () => {
      const lol = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('')}]><methodCall><methodName>&j;</methodName></methodCall>`;
      const { body } = await call(lol);
      expect(pyLoads(body).fault?.[0]).toBe(-32700);
    });

    it("answers an empty body with uWSGI's 500", async () => {
      const { res, body } = await call('');
      expect(res.head?.status).toBe('500 Internal Server Error');
      expect(body.toString()).toBe('Internal Server Error');
    });
  },
);
