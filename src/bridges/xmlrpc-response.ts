// XML-RPC answers: a methodResponse with one value (a string, or <base64> for bytes XML cannot carry), or a fault.
import { isXmlChar } from './xml-parser.js';
import { strictText, toBase64 } from './base64.js';

const encoder = new TextEncoder();
const HEAD = '<?xml version="1.0"?>\n<methodResponse>\n';

/** Text escaped for an XML element; \r as a reference so parsers do not fold it into \n. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

/** A string XML 1.0 can carry (no NUL or other control chars but tab, LF and CR). */
function xmlSafe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 ? c !== 0x9 && c !== 0xa && c !== 0xd : c === 0xfffe || c === 0xffff) return false;
  }
  return true;
}

/**
 * A function result as an XML-RPC value: `<string>` when it is UTF-8 text XML can hold,
 * else `<base64>` (binary results, or text with control chars XML 1.0 forbids).
 */
export function resultValue(result: Uint8Array): string {
  const s = strictText(result);
  if (s !== null && xmlSafe(s)) return `<value><string>${escapeXml(s)}</string></value>`;
  return `<value><base64>${toBase64(result)}</base64></value>`;
}

export function methodResponse(value: string): Uint8Array {
  return encoder.encode(`${HEAD}<params>\n<param>\n${value}\n</param>\n</params>\n</methodResponse>\n`);
}

/** An array of strings (system.listMethods). */
export function stringArray(items: readonly string[]): string {
  const values = items.map((s) => `<value><string>${escapeXml(s)}</string></value>`).join('\n');
  return `<value><array><data>\n${values}\n</data></array></value>`;
}

export function faultResponse(code: number, message: string): Uint8Array {
  let safe = '';
  for (const ch of message) safe += isXmlChar(ch.codePointAt(0)!) ? ch : '?';
  return encoder.encode(
    `${HEAD}<fault>\n<value><struct>\n` +
      `<member><name>faultCode</name><value><int>${code}</int></value></member>\n` +
      `<member><name>faultString</name><value><string>${escapeXml(safe)}</string></value></member>\n` +
      `</struct></value>\n</fault>\n</methodResponse>\n`,
  );
}
