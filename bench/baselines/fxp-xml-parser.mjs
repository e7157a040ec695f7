// The XML-RPC request parser as it would be on fast-xml-parser: what src/bridges/xml-parser.ts
// would become if the library did the parsing. bench/xml.bench.mjs measures it against ours,
// case by case (what each accepts and refuses, with which XmlError code) and in time per parse.
// fast-xml-parser is lenient by design: its validator accepts a DOCTYPE with external ids,
// `<!ENTITY>` inside an element, undeclared entities, &#0;, control characters, `<` in an
// attribute value, two root elements, `]]>` in text, `--` inside a comment and any declared
// encoding; its parser reads a DOCTYPE's entities even with processEntities off. Each of these is
// refused here before or after the library runs, with the code ours gives, so that the
// comparison is between two parsers that refuse the same documents.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  DEFAULT_XML_MAX_DEPTH,
  DEFAULT_XML_MAX_ELEMENTS,
  XmlError,
  isXmlChar,
} from '../../dist/src/bridges/xml-parser.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const FORBIDDEN = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const PREDEFINED = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
const COMMENT_OR_CDATA = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>/g;
const CDATA = '#cdata'; // apart from text: its content is not read for references
const DEEPER = 'Maximum nested tags exceeded'; // the library's message: its only way to say it

const bad = (message) => new XmlError('NOT_WELL_FORMED', message);

function references(raw) {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&<]*)(;?)/g, (whole, ref, semi) => {
    if (semi !== ';') throw bad('& that does not start a reference');
    if (Object.hasOwn(PREDEFINED, ref)) return PREDEFINED[ref];
    const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(ref);
    if (m === null) throw bad(`undeclared entity &${ref}; (no entities are declared here)`);
    const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2], 10);
    if (!isXmlChar(cp)) throw bad(`${whole} is not an XML character`);
    return String.fromCodePoint(cp);
  });
}

/** Same contract as parseXml in src/bridges/xml-parser.ts. */
export function parseXmlFxp(bytes, limits = {}) {
  const maxDepth = limits.maxDepth ?? DEFAULT_XML_MAX_DEPTH;
  const maxElements = limits.maxElements ?? DEFAULT_XML_MAX_ELEMENTS;
  let text;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new XmlError('ENCODING', 'the document is not valid UTF-8');
  }
  text = text.replace(/\r\n?/g, '\n');
  if (FORBIDDEN.test(text)) throw bad('a character XML does not allow');
  const decl = /^<\?xml[ \t\n][^?]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(text);
  if (decl !== null && !/^(utf-?8|us-ascii)$/i.test(decl[1]))
    throw new XmlError('ENCODING', `encoding ${decl[1]} is not supported (UTF-8 only)`);
  for (const c of text.matchAll(/<!--([\s\S]*?)-->/g))
    if (c[1].includes('--') || c[1].endsWith('-')) throw bad('-- in a comment');
  const markup = text.replace(COMMENT_OR_CDATA, '');
  if (markup.includes('<!DOCTYPE')) throw new XmlError('DOCTYPE', 'document type declarations are not accepted');
  if (markup.includes('<!')) throw new XmlError('DOCTYPE', 'markup declarations are not accepted');
  if (markup.includes(']]>')) throw bad(']]> in text');

  let tree;
  try {
    tree = new XMLParser({
      preserveOrder: true,
      processEntities: false,
      htmlEntities: false,
      ignoreAttributes: false,
      attributeNamePrefix: '',
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: false,
      ignoreDeclaration: true,
      ignorePiTags: true,
      cdataPropName: CDATA,
      maxNestedTags: maxDepth - 1,
    }).parse(text);
  } catch (err) {
    if (err instanceof Error && err.message === DEEPER)
      throw new XmlError('TOO_DEEP', `elements nest deeper than ${maxDepth}`);
    throw bad(err instanceof Error ? err.message : String(err));
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw bad(valid.err.msg);

  let elements = 0;
  const convert = (node) => {
    const name = Object.keys(node).find((k) => k !== ':@');
    if (++elements > maxElements) throw new XmlError('TOO_MANY', `more than ${maxElements} elements`);
    for (const v of Object.values(node[':@'] ?? {})) {
      if (v.includes('<')) throw bad('< in an attribute value');
      references(v);
    }
    const children = [];
    let run = '';
    for (const child of node[name]) {
      if ('#text' in child) {
        run += references(String(child['#text']));
      } else if (CDATA in child) {
        run += child[CDATA].map((t) => t['#text']).join('');
      } else {
        if (run !== '') children.push(run);
        run = '';
        children.push(convert(child));
      }
    }
    if (run !== '') children.push(run);
    return { name, children };
  };
  const roots = tree.filter((n) => !('#text' in n));
  if (roots.length !== 1)
    throw bad(roots.length === 0 ? 'expected the root element' : 'content after the root element');
  return convert(roots[0]);
}
