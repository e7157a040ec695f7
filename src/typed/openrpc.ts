// The OpenRPC 1.x document of a node's functions (what rpc.discover answers), generated from their specs.
import type { FunctionSig } from './catalog.js';
import { type ArgType, type Kind, type Type, isOptional } from './types.js';

/** The OpenRPC convention's name for the function answering the document. */
export const DISCOVER = 'rpc.discover';
const OPENRPC_VERSION = '1.3.2';

/** A function as introspection sees it: its name and its spec (null: untyped, binary strings in and out). */
export interface Described {
  readonly name: string;
  readonly sig: FunctionSig | null;
}

type Schema = Record<string, unknown>;

/** Bytes over JSON-RPC: `{"base64": "..."}` (a plain string is taken as its UTF-8 bytes too). */
const BASE64: Schema = {
  type: 'object',
  properties: { base64: { type: 'string', contentEncoding: 'base64' } },
  required: ['base64'],
  additionalProperties: false,
};

/** An untyped function's arg or result over JSON-RPC: UTF-8 text as a string, other bytes as base64. */
const BINARY_STRING: Schema = {
  title: 'binary string',
  oneOf: [{ type: 'string' }, BASE64],
};

/** Each arg and result as JSON-RPC carries it (README, "Typed functions"). */
function jsonSchemaOf(type: Type, side: 'input' | 'output'): Schema {
  const schemas: Record<Exclude<Kind, 'json' | 'enum'>, Schema> = {
    string: { type: 'string' },
    int: { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
    // JSON numbers lose 64-bit precision in most parsers: answered as decimal strings, taken as either
    bigint:
      side === 'output'
        ? { type: 'string', pattern: '^-?[0-9]+$' }
        : { type: ['integer', 'string'], pattern: '^[+-]?[0-9]+$' },
    number: { type: 'number' },
    bool: { type: 'boolean' },
    bytes: side === 'output' ? BASE64 : { oneOf: [{ type: 'string' }, BASE64] },
  };
  if (type.kind === 'enum') return { type: 'string', enum: [...type.values!] };
  if (type.kind === 'json') return type.schema === undefined ? {} : schemaJson(type, side);
  return schemas[type.kind];
}

/** A Standard Schema as JSON Schema where its library offers it (Standard JSON Schema), else any JSON value. */
function schemaJson(type: Type, side: 'input' | 'output'): Schema {
  const convert = type.schema?.['~standard'].jsonSchema;
  if (convert === undefined) return {};
  try {
    const { $schema: _, ...schema } = convert[side]({ target: 'draft-07' });
    return schema;
  } catch {
    return {};
  }
}

/** The wire type of an arg or result, for stubs and typed clients built from the document. */
function wireType(type: Type): Schema {
  return type.kind === 'enum' ? { 'x-uwsgi-type': 'enum' } : { 'x-uwsgi-type': type.kind };
}

function param(arg: ArgType, i: number) {
  const type = isOptional(arg) ? arg.type : arg;
  return { name: `arg${i}`, required: !isOptional(arg), schema: jsonSchemaOf(type, 'input'), ...wireType(type) };
}

function method(d: Described) {
  if (d.sig === null) {
    return {
      name: d.name,
      description: 'Untyped: takes any number of binary strings (up to 254) and answers one.',
      paramStructure: 'by-position',
      params: [],
      result: { name: 'result', schema: BINARY_STRING, 'x-uwsgi-type': 'bytes' },
      'x-uwsgi-untyped': true,
    };
  }
  return {
    name: d.name,
    ...(d.sig.doc === undefined ? {} : { description: d.sig.doc }),
    paramStructure: 'by-position',
    params: d.sig.args.map(param),
    result: { name: 'result', schema: jsonSchemaOf(d.sig.result, 'output'), ...wireType(d.sig.result) },
  };
}

/**
 * The OpenRPC document of `functions`: JSON Schemas as the JSON-RPC bridge takes and answers
 * the values; `x-uwsgi-type` on each param and result names its wire type (t.*), which is
 * what stubs and typed clients need; untyped functions are marked `x-uwsgi-untyped`.
 */
export function openRpcDocument(functions: readonly Described[], title = 'uwsgi-rpc node') {
  return {
    openrpc: OPENRPC_VERSION,
    info: { title, version: '0.0.0' },
    methods: functions.map(method),
  };
}
