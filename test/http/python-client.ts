import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** Runs fixtures/xmlrpc_client.py against `url`: one parsed JSON result per call it makes. */
export function pythonXmlRpc(url: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'python3',
      [join(__dirname, 'fixtures', 'xmlrpc_client.py'), url],
      { timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else
          resolve(
            stdout
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l)),
          );
      },
    );
  });
}

/** What xmlrpc_client.py prints for a server that works (ours). */
export const XMLRPC_EXPECTED = [
  { result: 'Hello World' },
  { result: 'a|b é|<&>' },
  { result: { binary: Buffer.from('42|1|\0\xff', 'latin1').toString('base64') } },
  { result: { binary: Buffer.from([0xff, 0, 0xfe]).toString('base64') } },
  {
    result: [
      'binary',
      'echo',
      'empty',
      'fail',
      'hello',
      'raw',
      'rawbad',
      'rawlf',
      'rawnohead',
      'ret',
      'show',
      'system.listMethods',
    ],
  },
  { fault: [-32601, 'method nope not found'] },
  { fault: [-32500, 'fail failed'] },
];
