// bench/xml: the XML-RPC request parser (src/bridges/xml-parser.ts) against the same parser on
// fast-xml-parser (baselines/fxp-xml-parser.mjs), in one run: first what each accepts and refuses
// on the documents the tests use and on hostile ones (with fast-xml-parser alone beside them, to
// show what its own checks refuse), then time per parse of real XML-RPC bodies, each parsed into
// the methodCall the bridge reads.
//   node bench/xml.bench.mjs [--quick] [--json FILE]
import { writeFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { XmlError, parseXml } from '../dist/src/bridges/xml-parser.js';
import { readMethodCall } from '../dist/src/bridges/xmlrpc-request.js';
import { parseXmlFxp } from './baselines/fxp-xml-parser.mjs';
import { fmt, machine, opsPerSecond, quick, table } from './lib/measure.mjs';

const enc = new TextEncoder();
const call = (params) =>
  `<?xml version='1.0'?>\n<methodCall>\n<methodName>echo</methodName>\n<params>\n${params.map((p) => `<param>\n<value>${p}</value>\n</param>\n`).join('')}</params>\n</methodCall>\n`;
const str = (s) => `<string>${s}</string>`;
const base64Of = (n) => Buffer.alloc(n, 0xa5).toString('base64').replace(/.{76}/g, '$&\n');

const bodies = {
  'small call (2 strings)': call([str('hello'), str('wörld &amp; &lt;you&gt;')]),
  'call with 254 params': call(Array.from({ length: 254 }, (_, i) => str(`arg ${i}`))),
  '1 MB: one base64 param': call([`<base64>\n${base64Of(760_000)}</base64>`]),
  '1 MB: 20,000 mixed params': call(
    Array.from(
      { length: 20_000 },
      (_, i) => [str(`s${i}`), `<int>${i}</int>`, `<boolean>${i & 1}</boolean>`, `text ${i}`][i % 4],
    ),
  ),
};
const lolEntities = Array.from(
  { length: 9 },
  (_, k) => `<!ENTITY ${'bcdefghij'[k]} "${`&${'abcdefghi'[k]};`.repeat(10)}">`,
).join('');
const hostile = {
  'billion laughs': `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">${lolEntities}]><methodCall><methodName>&j;</methodName></methodCall>`,
  'external entity (XXE)':
    '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><methodCall><methodName>&x;</methodName></methodCall>',
  '100,000 unclosed <a>': '<a>'.repeat(100_000),
  '1 MB of <a/> (over 100,000 elements)': `<r>${'<a/>'.repeat(250_000)}</r>`,
};
// The documents of test/http/xml-parser.test.ts, with the code ours gives each there.
const tested = {
  'elements, text, CDATA, references, PIs':
    '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><a x="1" y=\'&amp;\'><b>t&lt;&#65;&#x42;</b><![CDATA[<raw>]]><?pi x?><c/></a>\n',
  'SYSTEM DOCTYPE': '<!DOCTYPE a SYSTEM "file:///etc/passwd"><a>&xxe;</a>',
  'undeclared entity': '<a>&xxe;</a>',
  '<!ENTITY> in an element': '<a><!ENTITY x "y"></a>',
  '65 deep': `${'<a>'.repeat(65)}${'</a>'.repeat(65)}`,
  '64 deep': `${'<a>'.repeat(64)}${'</a>'.repeat(64)}`,
  ...Object.fromEntries(
    [
      '',
      '<a>',
      '<a></b>',
      '<a>&amp</a>',
      '<a>&#0;</a>',
      '<a>\u0001</a>',
      '<a b="<"/>',
      '<a b="1" b="2"/>',
      '<a/><b/>',
      'x<a/>',
      '<a>]]></a>',
      '<a><!-- x -- y --></a>',
      '<a b=1/>',
      '<?xml version="1.0"?><?xml version="1.0"?><a/>',
      '<?xml version="1.0" encoding="ISO-8859-1"?><a/>',
    ].map((s) => [JSON.stringify(s).slice(1, -1) || '(empty)', s]),
  ),
};

const outcome = (parse, text) => {
  try {
    parse(enc.encode(text));
    return 'ok';
  } catch (err) {
    if (err instanceof XmlError) return err.code;
    throw err;
  }
};
// fast-xml-parser with its safest settings and nothing around it: its validator, then its parser.
const alone = (text) => {
  const v = XMLValidator.validate(text);
  if (v !== true) return 'refused';
  try {
    new XMLParser({ processEntities: false, preserveOrder: true }).parse(text);
    return 'ok';
  } catch {
    return 'refused';
  }
};

const behaviour = [];
let same = 0;
for (const [name, text] of Object.entries({ ...tested, ...hostile, ...bodies })) {
  const ours = outcome(parseXml, text);
  const fxp = outcome(parseXmlFxp, text);
  if (ours === fxp) same++;
  behaviour.push([name, ours, fxp, alone(text)]);
}

process.stderr.write('bench xml\n');
let sink = 0;
const timing = [];
for (const [name, text] of Object.entries({ ...bodies, ...hostile })) {
  const bytes = enc.encode(text);
  const read = (parse) => () => {
    try {
      sink ^= readMethodCall(parse(bytes)).params.length;
    } catch (err) {
      if (!(err instanceof XmlError)) throw err;
      sink ^= err.code.length;
    }
  };
  const r = await opsPerSecond(
    { ours: read(parseXml), 'fast-xml-parser': read(parseXmlFxp) },
    { iterations: quick ? 1 : 10, warmupIterations: quick ? 1 : 2 },
  );
  timing.push({ name, bytes: bytes.length, r });
  process.stderr.write(
    `  ${name}: ${Object.entries(r)
      .map(([k, v]) => `${k} ${fmt(v)}/s`)
      .join(', ')}\n`,
  );
}
const us = (opsPerSec) => (1e6 / opsPerSec).toFixed(opsPerSec > 1e5 ? 2 : 0);

console.log(`\n## XML-RPC request parser: ours vs fast-xml-parser\n\n${machine()}\n`);
console.log(`### Same outcome on ${same} of ${behaviour.length} documents\n`);
console.log(table(['document', 'ours', 'fast-xml-parser, wrapped', 'fast-xml-parser alone'], behaviour));
console.log('\n### Time per parse into a methodCall (µs; lower is better)\n');
console.log(
  table(
    ['body', 'bytes', 'ours', 'fast-xml-parser, wrapped', 'ours / fast-xml-parser (ops/s)'],
    timing.map(({ name, bytes, r }) => [
      name,
      String(bytes),
      us(r.ours),
      us(r['fast-xml-parser']),
      `${(r.ours / r['fast-xml-parser']).toFixed(2)}x`,
    ]),
  ),
);
console.log(`\n${sink & 1}`);

const jsonIdx = process.argv.indexOf('--json');
if (jsonIdx >= 0) writeFileSync(process.argv[jsonIdx + 1], JSON.stringify({ behaviour, timing }, null, 2));
