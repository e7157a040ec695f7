import { describe, expect, it } from 'vitest';
import { XmlError, parseXml } from '../../src/bridges/xml-parser.js';

const enc = new TextEncoder();
const parse = (s: string, limits = {}) => parseXml(enc.encode(s), limits);
const code = (s: string, limits = {}) => {
  try {
    parse(s, limits);
    return 'ok';
  } catch (err) {
    if (err instanceof XmlError) return err.code;
    throw err;
  }
};

describe('parseXml', () => {
  it('reads elements, text, CDATA, references; skips comments, PIs, attributes', () => {
    const root = parse(
      '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><a x="1" y=\'&amp;\'><b>t&lt;&#65;&#x42;</b><![CDATA[<raw>]]><?pi x?><c/></a>\n',
    );
    expect(root).toEqual({
      name: 'a',
      children: [{ name: 'b', children: ['t<AB'] }, '<raw>', { name: 'c', children: [] }],
    });
  });

  it('normalises line ends; a char reference keeps \\r', () => {
    expect(parse('<a>x\r\ny\rz&#13;</a>').children).toEqual(['x\ny\nz\r']);
  });

  it('refuses a billion laughs document without expanding anything', () => {
    const lol = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<methodCall><methodName>&lol9;</methodName></methodCall>`;
    expect(code(lol)).toBe('DOCTYPE');
  });

  it('refuses external entities and any undeclared entity', () => {
    expect(code('<!DOCTYPE a SYSTEM "file:///etc/passwd"><a>&xxe;</a>')).toBe('DOCTYPE');
    expect(code('<a>&xxe;</a>')).toBe('NOT_WELL_FORMED');
    expect(code('<a><!ENTITY x "y"></a>')).toBe('DOCTYPE');
  });

  it('bounds depth and element count', () => {
    expect(code(`${'<a>'.repeat(65)}${'</a>'.repeat(65)}`)).toBe('TOO_DEEP');
    expect(code(`${'<a>'.repeat(64)}${'</a>'.repeat(64)}`)).toBe('ok');
    expect(code(`<r>${'<a/>'.repeat(20)}</r>`, { maxElements: 10 })).toBe('TOO_MANY');
    expect(code(`${'<a>'.repeat(100000)}`)).toBe('TOO_DEEP');
  });

  it('refuses what is not well-formed', () => {
    for (const bad of [
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
    ]) {
      expect(code(bad), JSON.stringify(bad)).toBe('NOT_WELL_FORMED');
    }
  });

  it('wants UTF-8', () => {
    expect(() => parseXml(new Uint8Array([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e]))).toThrow(/UTF-8/);
    expect(code('<?xml version="1.0" encoding="ISO-8859-1"?><a/>')).toBe('ENCODING');
  });
});
