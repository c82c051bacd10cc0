import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";

type LineKind = "header" | "record" | "event";

// Compiled once, on first use: reading a history needs no schema, writing and fsck do.
let validators: Record<LineKind, ValidateFunction> | undefined;

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
  validators ??= compile();
  const validate = validators[kind];
  if (validate(line)) return [];
  return (validate.errors ?? []).filter((error) => error.keyword !== "if").map(describeError);
}

function compile(): Record<LineKind, ValidateFunction> {
  const schema = manifestSchema();
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, validateFormats: false });
  ajv.addSchema(schema);
  const get = (name: LineKind) => ajv.getSchema(`${schema.$id}#/$defs/${name}`) as ValidateFunction;
  return { header: get("header"), record: get("record"), event: get("event") };
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath === "" ? "line" : error.instancePath.slice(1).replaceAll("/", ".");
  if (error.keyword === "additionalProperties") {
    return `${where}: unexpected field "${String(error.params.additionalProperty)}"`;
  }
  return `${where}: ${error.message ?? "is invalid"}`;
}
