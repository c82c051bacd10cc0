import { readFileSync } from "node:fs";

/** A JSON Schema node, loosely typed: only what error messages need. */
export interface SchemaNode {
  description?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  examples?: unknown[];
  required?: string[];
  properties?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: { if?: SchemaNode; then?: SchemaNode }[];
  items?: SchemaNode;
  [keyword: string]: unknown;
}

let cached: SchemaNode | undefined;

/** The recipe schema itself; read only when an error needs its descriptions (src/ and dist/ both sit two levels below the package). */
export function recipeSchema(): SchemaNode {
  cached ??= JSON.parse(
    readFileSync(new URL("../../../schemas/recipe.schema.json", import.meta.url), "utf8"),
  ) as SchemaNode;
  return cached;
}

/** The schema node at an ajv `schemaPath` such as `#/properties/layers/items`. */
export function schemaAt(schemaPath: string): SchemaNode | undefined {
  let node: unknown = recipeSchema();
  for (const raw of schemaPath.replace(/^#\/?/, "").split("/")) {
    if (raw === "") continue;
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node as SchemaNode | undefined;
}

/** "a string", "an integer or an octal string like \"0755\"": how a value should look, for messages. */
export function describeExpected(node: SchemaNode, examples = node.examples): string {
  const branches = node.anyOf ?? node.oneOf;
  // Branches that only require a key (`oneOf: [{required: [run]}, ...]`) describe a mapping's kinds, not types.
  const kinds = branches?.map((branch) => (branch.type === undefined ? onlyRequired(branch) : undefined));
  if (kinds?.every((kind) => kind !== undefined))
    return `a mapping with ${orList(kinds.map((k) => `\`${k}\``))}`;
  if (branches) return branches.map((branch) => describeExpected(branch, examples)).join(" or ");
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  if (node.enum) return `one of ${node.enum.map((value) => `\`${String(value)}\``).join(", ")}`;
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  const words = types.map((type) => TYPE_WORDS[type] ?? type);
  let text =
    words.length > 1 ? `${words.slice(0, -1).join(", ")} or ${words.at(-1)}` : (words[0] ?? "a value");
  if (node.type === "array") text = node.items?.type === "string" ? "a list of strings" : "a list";
  if (node.pattern) {
    const example = examples?.find((value) => typeof value === "string");
    if (example !== undefined) text += ` like "${example}"`;
  }
  return text;
}

function onlyRequired(node: SchemaNode): string | undefined {
  const required = node.required;
  return Array.isArray(required) && required.length === 1 ? String(required[0]) : undefined;
}

function orList(words: string[]): string {
  return words.length > 1 ? `${words.slice(0, -1).join(", ")} or ${words.at(-1)}` : (words[0] ?? "");
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
  null: "null",
};

/** How a found value looks, for "must be a string, not a list" messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "empty";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "number") return Number.isInteger(value) ? "a whole number" : "a number";
  if (typeof value === "boolean") return "true or false";
  return "a string";
}
