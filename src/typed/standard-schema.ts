// The Standard Schema v1 interface (standardschema.dev), as its authors ask libraries to carry it: a structural copy,
// so zod, valibot and arktype schemas fit `t.json(schema)` with no dependency of ours on any of them.

/** Any Standard Schema v1 (zod, valibot, arktype ...): `~standard.validate` and the types it infers. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaProps<Input, Output>;
}

interface StandardSchemaProps<Input = unknown, Output = Input> {
  readonly version: 1;
  readonly vendor: string;
  readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  /** Standard JSON Schema (a later part of the spec): the schema as JSON Schema, where the library offers it. */
  readonly jsonSchema?: {
    readonly input: (options: { readonly target: string }) => Record<string, unknown>;
    readonly output: (options: { readonly target: string }) => Record<string, unknown>;
  };
}

export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };

export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** The value type a schema validates to. */
export type SchemaOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output'];
