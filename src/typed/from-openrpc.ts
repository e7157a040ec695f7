// A catalog for calling, from an OpenRPC document of our own rpc.discover (the x-uwsgi-type of each param and
// result): what a typed client needs when the catalog is fetched at run time.
import { type Catalog, type FunctionSig, defineFunctions } from './catalog.js';
import { type ArgType, type Type, t } from './types.js';

interface Descriptor {
  name?: unknown;
  required?: unknown;
  schema?: { enum?: unknown };
  'x-uwsgi-type'?: unknown;
}

interface Method {
  name?: unknown;
  description?: unknown;
  params?: unknown;
  result?: Descriptor;
  'x-uwsgi-untyped'?: unknown;
}

const SIMPLE: Record<string, () => Type> = {
  string: t.string,
  int: t.int,
  bigint: t.bigint,
  number: t.number,
  bool: t.bool,
  bytes: t.bytes,
  json: () => t.json(),
};

function typeOf(d: Descriptor | undefined, where: string): Type {
  const kind = d?.['x-uwsgi-type'];
  if (kind === 'enum') {
    const values = d?.schema?.enum;
    if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string'))
      throw new TypeError(`${where}: an enum without its string values`);
    return t.enum(values as [string, ...string[]]);
  }
  if (typeof kind !== 'string' || !Object.hasOwn(SIMPLE, kind))
    throw new TypeError(`${where}: no x-uwsgi-type this client knows (${JSON.stringify(kind)})`);
  return SIMPLE[kind]();
}

/**
 * The typed functions of an OpenRPC document written by rpc.discover, as a catalog without
 * handlers (for bind). Untyped functions are left out; t.json() values are not validated
 * beyond being JSON (the schemas stay on the node). Throws TypeError for a document that is
 * not one of ours.
 */
export function catalogFromOpenRpc(doc: unknown): Catalog {
  const methods = (doc as { methods?: unknown } | null)?.methods;
  if (!Array.isArray(methods)) throw new TypeError('not an OpenRPC document (no methods)');
  const defs: Record<string, FunctionSig> = {};
  for (const m of methods as Method[]) {
    if (typeof m?.name !== 'string' || m['x-uwsgi-untyped'] === true) continue;
    const where = `method ${JSON.stringify(m.name)}`;
    if (!Array.isArray(m.params)) throw new TypeError(`${where}: no params`);
    const args: ArgType[] = (m.params as Descriptor[]).map((p, i) => {
      const type = typeOf(p, `${where} param ${i}`);
      return p.required === false ? t.optional(type) : type;
    });
    defs[m.name] = {
      args,
      result: typeOf(m.result, `${where} result`),
      ...(typeof m.description === 'string' ? { doc: m.description } : {}),
    };
  }
  return defineFunctions(defs as never);
}
