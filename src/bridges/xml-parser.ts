/**
 * A small, strict, bounded XML parser for XML-RPC requests. Safe by construction:
 * - a document type declaration is refused outright, so there are no entity declarations:
 *   no entity expansion (billion laughs), no external entities or DTDs (XXE), nothing fetched;
 * - only the five predefined entities and character references are read;
 * - nesting depth and element count are bounded; the caller bounds the input size;
 * - input must be UTF-8 (the XML default); other declared encodings are refused.
 * It keeps what XML-RPC needs: elements and their text (CDATA included, line ends
 * normalised); attributes are checked for well-formedness and dropped; comments and
 * processing instructions are skipped.
 */

export interface XmlElement {
  readonly name: string;
  /** Child elements and text, in order (adjacent text joined). */
  readonly children: (XmlElement | string)[];
}

export type XmlErrorCode = 'NOT_WELL_FORMED' | 'DOCTYPE' | 'ENCODING' | 'TOO_DEEP' | 'TOO_MANY';

export class XmlError extends Error {
  readonly code: XmlErrorCode;

  constructor(code: XmlErrorCode, message: string) {
    super(message);
    this.name = 'XmlError';
    this.code = code;
  }
}

export interface XmlLimits {
  /** Deepest element nesting accepted. */
  maxDepth?: number;
  /** Most elements in the document. */
  maxElements?: number;
}

export const DEFAULT_XML_MAX_DEPTH = 64;
export const DEFAULT_XML_MAX_ELEMENTS = 100_000;

const NAME = /[A-Za-z_:\u00C0-\uFFFF][-A-Za-z0-9_:.\u00B7\u00C0-\uFFFF]*/y;
const SPACE = /[ \t\n]*/y;
// Chars XML 1.0 forbids anywhere (after line-end normalisation \r is gone).
const FORBIDDEN = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a whole document from its bytes; returns the root element. Throws XmlError. */
export function parseXml(bytes: Uint8Array, limits: XmlLimits = {}): XmlElement {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new XmlError('ENCODING', 'the document is not valid UTF-8');
  }
  return new Parser(text, limits).document();
}

class Parser {
  private readonly s: string;
  private i = 0;
  private elements = 0;
  private readonly maxDepth: number;
  private readonly maxElements: number;

  constructor(text: string, limits: XmlLimits) {
    this.s = text.replace(/\r\n?/g, '\n');
    this.maxDepth = limits.maxDepth ?? DEFAULT_XML_MAX_DEPTH;
    this.maxElements = limits.maxElements ?? DEFAULT_XML_MAX_ELEMENTS;
    const bad = FORBIDDEN.exec(this.s);
    if (bad !== null)
      throw this.error(
        `character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} is not allowed in XML`,
        bad.index,
      );
  }

  document(): XmlElement {
    if (this.s.startsWith('<?xml') && /[ \t\n?]/.test(this.s[5] ?? '')) this.declaration();
    this.misc();
    if (this.s.startsWith('<!DOCTYPE', this.i))
      throw new XmlError('DOCTYPE', 'document type declarations are not accepted');
    if (this.s[this.i] !== '<') throw this.error('expected the root element');
    const root = this.element(1);
    this.misc();
    if (this.i < this.s.length) throw this.error('content after the root element');
    return root;
  }

  private declaration(): void {
    const end = this.s.indexOf('?>');
    if (end < 0) throw this.error('unterminated XML declaration');
    const decl = this.s.slice(5, end);
    const enc = /encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(decl);
    if (enc !== null && !/^(utf-?8|us-ascii)$/i.test(enc[1])) {
      throw new XmlError('ENCODING', `encoding ${enc[1]} is not supported (UTF-8 only)`);
    }
    this.i = end + 2;
  }

  /** Whitespace, comments and processing instructions. */
  private misc(): void {
    for (;;) {
      this.space();
      if (this.s.startsWith('<!--', this.i)) this.comment();
      else if (this.s.startsWith('<?', this.i)) this.pi();
      else return;
    }
  }

  private element(depth: number): XmlElement {
    if (depth > this.maxDepth) throw new XmlError('TOO_DEEP', `elements nest deeper than ${this.maxDepth}`);
    if (++this.elements > this.maxElements) throw new XmlError('TOO_MANY', `more than ${this.maxElements} elements`);
    this.i++; // '<'
    const name = this.name();
    const children: (XmlElement | string)[] = [];
    const seen = new Set<string>();
    for (;;) {
      const before = this.i;
      this.space();
      const c = this.s[this.i];
      if (c === '/' && this.s[this.i + 1] === '>') {
        this.i += 2;
        return { name, children };
      }
      if (c === '>') {
        this.i++;
        break;
      }
      if (this.i === before) throw this.error(`expected an attribute, > or /> in <${name}>`);
      const attr = this.name();
      if (seen.has(attr)) throw this.error(`attribute ${attr} repeated`);
      seen.add(attr);
      this.space();
      if (this.s[this.i] !== '=') throw this.error(`expected = after attribute ${attr}`);
      this.i++;
      this.space();
      const q = this.s[this.i];
      if (q !== '"' && q !== "'") throw this.error('expected a quoted attribute value');
      const end = this.s.indexOf(q, this.i + 1);
      if (end < 0) throw this.error('unterminated attribute value');
      const raw = this.s.slice(this.i + 1, end);
      if (raw.includes('<')) throw this.error('< in an attribute value');
      this.references(raw, this.i + 1);
      this.i = end + 1;
    }
    let text = '';
    for (;;) {
      const lt = this.s.indexOf('<', this.i);
      if (lt < 0) throw this.error(`<${name}> is not closed`);
      if (lt > this.i) {
        const raw = this.s.slice(this.i, lt);
        if (raw.includes(']]>')) throw this.error(']]> in text');
        text += this.references(raw, this.i);
        this.i = lt;
      }
      if (this.s.startsWith('</', this.i)) {
        this.i += 2;
        const end = this.name();
        if (end !== name) throw this.error(`</${end}> closes <${name}>`);
        this.space();
        if (this.s[this.i] !== '>') throw this.error(`expected > after </${end}`);
        this.i++;
        if (text !== '') children.push(text);
        return { name, children };
      }
      if (this.s.startsWith('<!--', this.i)) {
        this.comment();
      } else if (this.s.startsWith('<![CDATA[', this.i)) {
        const end = this.s.indexOf(']]>', this.i + 9);
        if (end < 0) throw this.error('unterminated CDATA section');
        text += this.s.slice(this.i + 9, end);
        this.i = end + 3;
      } else if (this.s.startsWith('<?', this.i)) {
        this.pi();
      } else if (this.s.startsWith('<!', this.i)) {
        throw new XmlError('DOCTYPE', 'markup declarations are not accepted');
      } else {
        if (text !== '') children.push(text);
        text = '';
        children.push(this.element(depth + 1));
      }
    }
  }

  private comment(): void {
    const end = this.s.indexOf('--', this.i + 4);
    if (end < 0 || this.s[end + 2] !== '>') throw this.error('bad or unterminated comment');
    this.i = end + 3;
  }

  private pi(): void {
    this.i += 2;
    const target = this.name();
    if (target.toLowerCase() === 'xml') throw this.error('misplaced XML declaration');
    const end = this.s.indexOf('?>', this.i);
    if (end < 0) throw this.error('unterminated processing instruction');
    this.i = end + 2;
  }

  private name(): string {
    NAME.lastIndex = this.i;
    const m = NAME.exec(this.s);
    if (m === null) throw this.error('expected a name');
    this.i += m[0].length;
    return m[0];
  }

  private space(): void {
    SPACE.lastIndex = this.i;
    SPACE.exec(this.s);
    this.i = SPACE.lastIndex;
  }

  /** Text with its references replaced; only predefined entities and char refs exist here. */
  private references(raw: string, at: number): string {
    if (!raw.includes('&')) return raw;
    return raw.replace(/&([^;&<]*)(;?)/g, (whole, ref: string, semi: string, off: number) => {
      if (semi !== ';') throw this.error('& that does not start a reference', at + off);
      if (Object.hasOwn(PREDEFINED, ref)) return PREDEFINED[ref];
      const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(ref);
      if (m === null) throw this.error(`undeclared entity &${ref}; (no entities are declared here)`, at + off);
      const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2], 10);
      if (!isXmlChar(cp)) throw this.error(`${whole} is not an XML character`, at + off);
      return String.fromCodePoint(cp);
    });
  }

  private error(message: string, at = this.i): XmlError {
    return new XmlError('NOT_WELL_FORMED', `${message} (at offset ${at})`);
  }
}

export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}
