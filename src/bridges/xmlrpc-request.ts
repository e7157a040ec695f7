// An XML-RPC methodCall, from the parsed XML tree to a method name and its params as bytes.
import { fromBase64 } from './base64.js';
import type { XmlElement } from './xml-parser.js';

/** A decoded XML-RPC methodCall. */
export interface XmlRpcCall {
  readonly method: string;
  readonly params: Uint8Array[];
  /** The <value> elements, for a method `keepValues` named (typed functions read them by their types). */
  readonly values: XmlElement[] | null;
}

/** Why a methodCall cannot be run, with the interoperability fault code to answer. */
export class XmlRpcInvalid extends Error {
  constructor(
    readonly faultCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'XmlRpcInvalid';
  }
}

/** -32600: not a methodCall as the spec describes it. */
const INVALID_XMLRPC = -32600;
/** -32602: a param this bridge cannot pass as bytes. */
export const INVALID_PARAMS = -32602;

const encoder = new TextEncoder();

export const elements = (el: XmlElement): XmlElement[] =>
  el.children.filter((c): c is XmlElement => typeof c !== 'string');
export const text = (el: XmlElement): string => el.children.map((c) => (typeof c === 'string' ? c : '')).join('');

/** Only whitespace may sit between the elements of a structural element. */
function structural(el: XmlElement): XmlElement[] {
  for (const c of el.children) {
    if (typeof c === 'string' && c.trim() !== '') throw new XmlRpcInvalid(INVALID_XMLRPC, `text in <${el.name}>`);
  }
  return elements(el);
}

/**
 * Reads `<methodCall><methodName>N</methodName><params><param><value>...` into a name and
 * byte args. uWSGI accepts only `<string>` params; here every scalar is taken, as the
 * bytes an RPC function gets: string (typed or bare) as UTF-8, base64 decoded (binary
 * args), int/i4/i8/boolean/double/dateTime.iso8601 as their text. array, struct and nil
 * have no byte form: an invalid-params fault. For a method `keepValues` names (read after
 * <methodName>, which comes first), the <value> elements are kept as they are instead.
 */
export function readMethodCall(root: XmlElement, keepValues: (method: string) => boolean = () => false): XmlRpcCall {
  if (root.name !== 'methodCall')
    throw new XmlRpcInvalid(INVALID_XMLRPC, `the root element is <${root.name}>, not <methodCall>`);
  let method: string | null = null;
  const params: Uint8Array[] = [];
  let kept: XmlElement[] | null = null;
  for (const el of structural(root)) {
    if (el.name === 'methodName') {
      if (elements(el).length > 0) throw new XmlRpcInvalid(INVALID_XMLRPC, '<methodName> holds elements');
      method = text(el).trim();
      if (keepValues(method)) kept = [];
    } else if (el.name === 'params') {
      for (const param of structural(el)) {
        if (param.name !== 'param') throw new XmlRpcInvalid(INVALID_XMLRPC, `<${param.name}> in <params>`);
        const values = structural(param);
        if (values.length !== 1 || values[0].name !== 'value')
          throw new XmlRpcInvalid(INVALID_XMLRPC, '<param> must hold one <value>');
        if (kept !== null) kept.push(values[0]);
        else params.push(readValue(values[0], params.length));
      }
    } else {
      throw new XmlRpcInvalid(INVALID_XMLRPC, `<${el.name}> in <methodCall>`);
    }
  }
  if (method === null || method === '') throw new XmlRpcInvalid(INVALID_XMLRPC, 'no <methodName>');
  return { method, params, values: kept };
}

/** A scalar <value> as the bytes an RPC function gets (see readMethodCall). */
export function readValue(value: XmlElement, index: number): Uint8Array {
  const typed = elements(value);
  if (typed.length === 0) return encoder.encode(text(value));
  if (typed.length > 1) throw new XmlRpcInvalid(INVALID_XMLRPC, `param ${index}: <value> holds several elements`);
  for (const c of value.children) {
    if (typeof c === 'string' && c.trim() !== '')
      throw new XmlRpcInvalid(INVALID_XMLRPC, `param ${index}: text beside <${typed[0].name}>`);
  }
  const t = typed[0];
  if (elements(t).length > 0 && t.name !== 'array' && t.name !== 'struct') {
    throw new XmlRpcInvalid(INVALID_XMLRPC, `param ${index}: <${t.name}> holds elements`);
  }
  const body = text(t);
  switch (t.name) {
    case 'string':
      return encoder.encode(body);
    case 'base64': {
      const b = fromBase64(body);
      if (b === null) throw new XmlRpcInvalid(INVALID_PARAMS, `param ${index}: not base64`);
      return b;
    }
    case 'int':
    case 'i4':
    case 'i8':
      if (!/^\s*[+-]?\d+\s*$/.test(body))
        throw new XmlRpcInvalid(INVALID_PARAMS, `param ${index}: <${t.name}> is not an integer`);
      return encoder.encode(body.trim());
    case 'boolean':
      if (!/^\s*[01]\s*$/.test(body))
        throw new XmlRpcInvalid(INVALID_PARAMS, `param ${index}: <boolean> is not 0 or 1`);
      return encoder.encode(body.trim());
    case 'double':
    case 'dateTime.iso8601':
      return encoder.encode(body.trim());
    default:
      throw new XmlRpcInvalid(
        INVALID_PARAMS,
        `param ${index}: <${t.name}> cannot be passed as bytes (string, base64 and scalars only)`,
      );
  }
}
