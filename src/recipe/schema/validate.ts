import { validate } from "./validate.generated.js";

/** One raw error from the precompiled JSON Schema validator (ajv's shape). */
export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Validate a parsed recipe against `schemas/recipe.schema.json`; an empty list means it conforms. */
export function schemaErrors(value: unknown): SchemaError[] {
  const check = validate as ((data: unknown) => boolean) & { errors?: SchemaError[] | null };
  return check(value) ? [] : [...(check.errors ?? [])];
}
