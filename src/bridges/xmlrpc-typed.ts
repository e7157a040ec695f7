// Typed functions over XML-RPC: params read by their types (t.json from arrays and structs), results as typed
// values (<int>, <boolean>, <double>, <base64>, structs ...), and the signatures system.methodSignature lists.
import type { FunctionSig } from '../typed/catalog.js';
import { TypeMismatch } from '../typed/invalid.js';
import { type ArgType, type Type, isOptional } from '../typed/types.js';
import { toBase64 } from './base64.js';
import type { XmlElement } from './xml-parser.js';
import { INVALID_PARAMS, XmlRpcInvalid, elements, readValue, text } from './xmlrpc-request.js';
import { escapeXml, resultValue } from './xmlrpc-response.js';

const encoder = new TextEncoder();
const I4_MIN = -(2 ** 31);
const I4_MAX = 2 ** 31 - 1;

const argType = (a: ArgType): Type => (isOptional(a) ? a.type : a);

/**
 * The <value>s of a call to a typed function as its wire args: scalars as their text (the
 * function reads them by its types), t.json params from any XML-RPC value (arrays, structs,
 * nil included) as JSON text. Throws TypeMismatch for a wrong count, XmlRpcInvalid for XML
 * that is not an XML-RPC value.
 */
export function typedParams(sig: FunctionSig, values: readonly XmlElement[]): Uint8Array[] {
  const least = sig.args.findIndex(isOptional);
  const min = least < 0 ? sig.args.length : least;
  if (values.length < min || values.length > sig.args.length) {
    const want = min === sig.args.length ? `${min}` : `${min} to ${sig.args.length}`;
    throw new TypeMismatch(Math.min(values.length, sig.args.length), `takes ${want} params, got ${values.length}`);
  }
  return values.map((v, i) =>
    argType(sig.args[i]).kind === 'json' ? encoder.encode(JSON.stringify(toJson(v, i))) : readValue(v, i),
  );
}

/** An XML-RPC <value> as a JSON value. */
function toJson(value: XmlElement, index: number): unknown {
  const typed = elements(value);
  if (typed.length === 0) return text(value);
  const t = typed[0];
  const body = text(t).trim();
  const bad = (what: string) => new XmlRpcInvalid(INVALID_PARAMS, `param ${index}: <${t.name}> ${what}`);
  switch (t.name) {
    case 'string':
    case 'dateTime.iso8601':
      return text(t);
    case 'base64':
      return body.replace(/\s+/g, '');
    case 'int':
    case 'i4':
    case 'i8': {
      if (!/^[+-]?\d+$/.test(body)) throw bad('is not an integer');
      return Number(body);
    }
    case 'double': {
      const n = Number(body);
      if (body === '' || !Number.isFinite(n)) throw bad('is not a finite number');
      return n;
    }
    case 'boolean':
      if (body !== '0' && body !== '1') throw bad('is not 0 or 1');
      return body === '1';
    case 'nil':
      return null;
    case 'array': {
      const data = elements(t).find((e) => e.name === 'data');
      return (data === undefined ? [] : elements(data)).map((v) => toJson(v, index));
    }
    case 'struct': {
      const out: Record<string, unknown> = {};
      for (const member of elements(t)) {
        const name = elements(member).find((e) => e.name === 'name');
        const v = elements(member).find((e) => e.name === 'value');
        if (member.name !== 'member' || name === undefined || v === undefined) throw bad('holds a bad <member>');
        out[text(name)] = toJson(v, index);
      }
      return out;
    }
    default:
      throw bad('is not an XML-RPC value');
  }
}

/** A typed result as an XML-RPC <value>. */
export function typedValue(type: Type, value: unknown): string {
  switch (type.kind) {
    case 'int':
      return intValue(value as number);
    case 'bigint':
      return `<value><i8>${String(value)}</i8></value>`;
    case 'number':
      return `<value><double>${String(value)}</double></value>`;
    case 'bool':
      return `<value><boolean>${value ? 1 : 0}</boolean></value>`;
    case 'bytes':
      return `<value><base64>${toBase64(value as Uint8Array)}</base64></value>`;
    case 'string':
    case 'enum':
      return resultValue(encoder.encode(value as string));
    case 'json':
      return jsonValue(value);
  }
}

/** <int> where XML-RPC's 32 bits hold it, else <i8> (the common extension, read by Python's xmlrpc.client). */
function intValue(n: number): string {
  return n >= I4_MIN && n <= I4_MAX ? `<value><int>${n}</int></value>` : `<value><i8>${n}</i8></value>`;
}

function jsonValue(v: unknown): string {
  if (v === null || v === undefined) return '<value><nil/></value>';
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
  if (typeof v === 'number')
    return Number.isSafeInteger(v) ? intValue(v) : `<value><double>${String(v)}</double></value>`;
  if (typeof v === 'string') return resultValue(encoder.encode(v));
  if (Array.isArray(v)) return `<value><array><data>\n${v.map(jsonValue).join('\n')}\n</data></array></value>`;
  const members = Object.entries(v as Record<string, unknown>).map(
    ([k, x]) => `<member><name>${escapeXml(k)}</name>${jsonValue(x)}</member>`,
  );
  return `<value><struct>\n${members.join('\n')}\n</struct></value>`;
}

const XMLRPC_TYPE: Record<Exclude<Type['kind'], 'json'>, string> = {
  string: 'string',
  enum: 'string',
  int: 'int',
  bigint: 'i8',
  number: 'double',
  bool: 'boolean',
  bytes: 'base64',
};

/** A t.json type's XML-RPC name: from its JSON Schema's type where the schema library gives one, else struct. */
function xmlRpcType(type: Type): string {
  if (type.kind !== 'json') return XMLRPC_TYPE[type.kind];
  let kind: unknown;
  try {
    kind = type.schema?.['~standard'].jsonSchema?.output({ target: 'draft-07' }).type;
  } catch {
    kind = undefined;
  }
  const names: Record<string, string> = {
    array: 'array',
    string: 'string',
    integer: 'int',
    number: 'double',
    boolean: 'boolean',
    null: 'nil',
  };
  return typeof kind === 'string' && Object.hasOwn(names, kind) ? names[kind] : 'struct';
}

/**
 * system.methodSignature's answer: an array of signatures, each [result, arg...] in XML-RPC
 * type names; one signature per count of optional args given.
 */
export function signatures(sig: FunctionSig): string {
  const result = xmlRpcType(sig.result);
  const args = sig.args.map((a) => xmlRpcType(argType(a)));
  const least = sig.args.findIndex(isOptional);
  const counts = [];
  for (let n = least < 0 ? args.length : least; n <= args.length; n++) counts.push(n);
  const one = (n: number) =>
    `<value><array><data>\n${[result, ...args.slice(0, n)].map((s) => `<value><string>${s}</string></value>`).join('\n')}\n</data></array></value>`;
  return `<value><array><data>\n${counts.map(one).join('\n')}\n</data></array></value>`;
}
