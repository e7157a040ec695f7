// A validator of OpenRPC documents against the OpenRPC meta-schema (which refers to the JSON Schema meta-schema).
import jsonSchemaMeta from '@json-schema-tools/meta-schema';
import openRpcMeta from '@open-rpc/meta-schema';
import { Ajv } from 'ajv';

/** Validates a document; returns ajv's errors as text, or null when it is a valid OpenRPC document. */
export function openRpcErrors(doc: unknown): string | null {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  const { $schema: _a, $id: _b, ...jsonSchema } = jsonSchemaMeta as unknown as Record<string, unknown>;
  // the OpenRPC meta-schema refers to it with and without the trailing slash
  ajv.addSchema(jsonSchema, 'https://meta.json-schema.tools/');
  ajv.addSchema(jsonSchema, 'https://meta.json-schema.tools');
  const { $schema: _c, ...meta } = openRpcMeta as unknown as Record<string, unknown>;
  const validate = ajv.compile(meta);
  return validate(doc) ? null : ajv.errorsText(validate.errors);
}

/** A validator of values against one JSON Schema of a document (draft-07). */
export function schemaCheck(schema: unknown): (value: unknown) => boolean {
  const ajv = new Ajv({ strict: false, validateFormats: false });
  const validate = ajv.compile(schema as object);
  return (value) => validate(value) as boolean;
}
