import { readFileSync } from "node:fs";
import * as generated from "./generated/line-validators.js";
import { describeError, type Validator } from "./schema-errors.js";

type LineKind = "header" | "record" | "event";

// Precompiled from the schema by ajv (see the drift test): compiling at run time would cost more than a register.
const validators = generated as unknown as Record<LineKind, Validator>;

/** The published JSON Schema of one manifest line. */
export function manifestSchema(): { $id: string; $defs: Record<string, unknown> } {
  // schemas/ sits two levels above both src/manifest/ and dist/manifest/.
  return JSON.parse(readFileSync(new URL("../../schemas/manifest.schema.json", import.meta.url), "utf8"));
}

/**
 * Problems with one parsed line against `schemas/manifest.schema.json`, as `field: message` strings.
 * Records and events are checked against their own definition, so messages name the right fields.
 */
export function schemaProblems(line: unknown, kind: LineKind): string[] {
  const validate = validators[kind];
  if (validate(line)) return [];
  // Each branch of a oneOf (a parent) reports the same error for the same field: said once.
  return [...new Set((validate.errors ?? []).filter((error) => error.keyword !== "if").map(describeError))];
}
