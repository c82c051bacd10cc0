import type { BakeErrorCode } from "../../errors.js";
import { nearest } from "../../util/nearest.js";
import type { Diagnostic } from "../diagnostics.js";
import { diagnosticAt, offsetOf, type RecipePath, type RecipeSource, spanOf } from "../source.js";
import { describeExpected, describeValue, type SchemaNode, schemaAt } from "./describe.js";
import type { SchemaError } from "./validate.js";

/** Turn raw schema errors into one diagnostic per problem, each pointing at the offending key or value. */
export function schemaDiagnostics(source: RecipeSource, value: unknown, errors: SchemaError[]): Diagnostic[] {
  // A failed anyOf/oneOf/propertyNames reports its branches too; keep only the summary.
  const summaries = errors.filter((e) => ["anyOf", "oneOf", "propertyNames"].includes(e.keyword));
  // A value of the wrong type (a step written as `- 42`) fails its oneOf too; the type error says it better.
  const wrongType = new Set(errors.filter((e) => e.keyword === "type").map((e) => e.instancePath));
  const kept = errors.filter(
    (e) =>
      e.keyword !== "if" &&
      !(e.keyword === "oneOf" && wrongType.has(e.instancePath)) &&
      !summaries.some((s) => s !== e && e.schemaPath.startsWith(`${s.schemaPath}/`)),
  );
  // "missing `layers`" (or "needs one of `run`, `copy`, `file`") says nothing new next to
  // "unknown key `layer`, did you mean `layers`?".
  const unknown = kept.filter((e) => e.keyword === "additionalProperties");
  const typoOf = (e: SchemaError) => {
    const wanted =
      e.keyword === "required"
        ? [String(e.params.missingProperty)]
        : e.keyword === "oneOf" && e.params.passingSchemas === null
          ? ((schemaAt(e.schemaPath) as unknown as { required?: string[] }[] | undefined) ?? []).flatMap(
              (branch) => branch.required ?? [],
            )
          : [];
    return unknown.some(
      (u) =>
        u.instancePath === e.instancePath &&
        nearest(String(u.params.additionalProperty), wanted) !== undefined,
    );
  };
  const seen = new Set<string>();
  const diagnostics: { offset: number; diagnostic: Diagnostic }[] = [];
  for (const error of kept) {
    if (typoOf(error)) continue;
    const path = toPath(value, error.instancePath);
    const found = describeError(source, value, path, error);
    const key = `${found.offset}:${found.diagnostic.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(found);
  }
  return diagnostics.sort((a, b) => a.offset - b.offset).map((entry) => entry.diagnostic);
}

interface Described {
  offset: number;
  diagnostic: Diagnostic;
}

function describeError(
  source: RecipeSource,
  value: unknown,
  path: RecipePath,
  error: SchemaError,
): Described {
  const span = spanOf(source, path);
  // At the value itself, the diagnostic also says where it ends; at one of its keys, only where that starts.
  // An unknown key's pointer names the key itself.
  const at = (offset: number, code: BakeErrorCode, message: string, hint?: string, at = path): Described => ({
    offset,
    diagnostic: diagnosticAt(
      source,
      offset === span.start && at === path ? span : { start: offset, path: at },
      {
        code,
        message,
        ...(hint ? { hint } : {}),
      },
    ),
  });
  const here = span.start;
  const field = fieldName(path);
  const node = schemaAt(error.schemaPath.replace(/\/[^/]+$/, "")) ?? {};
  const data = valueAt(value, path);
  switch (error.keyword) {
    case "additionalProperties":
    case "unevaluatedProperties": {
      const key = String(error.params.additionalProperty ?? error.params.unevaluatedProperty);
      const known = knownKeys(node, data);
      const guess = nearest(key, known);
      const where = path.length === 0 ? "the recipe" : field;
      const hint =
        path.length === 1 && path[0] === "target" && key === "store"
          ? "the local driver's image store is chosen with the BAKE_STORE environment variable (default `.bake`), not in the recipe"
          : guess
            ? `did you mean \`${guess}\`?`
            : `known keys: ${known.map((k) => `\`${k}\``).join(", ")}`;
      return at(
        offsetOf(source, [...path, key], { key: true }),
        "unknown-key",
        `unknown key \`${key}\` in ${where}`,
        hint,
        [...path, key],
      );
    }
    case "required": {
      const missing = String(error.params.missingProperty);
      const where = path.length === 0 ? "the recipe" : field;
      const description = node.properties?.[missing]?.description;
      return at(
        path.length === 0 ? 0 : offsetOf(source, path, { key: true }),
        "missing-key",
        `${where} is missing \`${missing}\``,
        description ? `\`${missing}\`: ${description}` : undefined,
      );
    }
    case "type":
    case "anyOf": {
      const expected = describeExpected(node);
      // YAML reads `true`, `1.10` or `0755` as a boolean or number; quoting keeps it text: the text as written
      // (`1.10`, not the number's `1.1`), when the span of the value is known.
      const written = span.end === undefined ? undefined : source.text.slice(span.start, span.end).trim();
      const quote =
        (typeof data === "number" || typeof data === "boolean") && expected.includes("a string")
          ? quoteHint(node, String(path.at(-1)), written || String(data))
          : undefined;
      if (data === null || data === undefined)
        return at(here, "missing-value", `${field} has no value; it must be ${expected}`, node.description);
      if (typeof data === "string" && expected.includes("a string"))
        return at(
          here,
          "bad-format",
          `${field} "${data}" is not valid: it must be ${expected}`,
          node.description,
        );
      return at(
        here,
        "wrong-type",
        `${field} must be ${expected}, not ${describeValue(data)}`,
        quote ?? node.description,
      );
    }
    case "const": {
      const newer = typeof data === "string" && data.startsWith("bake/");
      return at(
        here,
        "bad-value",
        `${field} ${JSON.stringify(data)} is not supported: this bake reads \`${String(node.const)}\``,
        newer
          ? "this recipe may need a newer bake"
          : `write \`${String(path.at(-1))}: ${String(node.const)}\``,
      );
    }
    case "pattern":
    case "enum": {
      const guess =
        error.keyword === "enum" && typeof data === "string" && node.enum
          ? nearest(data, node.enum.map(String))
          : undefined;
      const shown = typeof data === "string" ? `"${data}"` : JSON.stringify(data);
      if (error.keyword === "pattern")
        return at(here, "bad-format", `${field} ${shown} is not valid`, node.description);
      return at(
        here,
        "bad-value",
        `${field} ${shown} is not valid: it must be ${describeExpected(node)}`,
        guess ? `did you mean \`${guess}\`?` : node.description,
      );
    }
    case "propertyNames": {
      const name = String(error.params.propertyName);
      return at(
        offsetOf(source, [...path, name], { key: true }),
        "bad-key",
        `\`${name}\` is not a valid key in ${field}`,
        KEY_RULES[String(path.at(-1))] ??
          `keys must match ${String(schemaAt(`${error.schemaPath}/pattern`) ?? "")}`,
      );
    }
    case "oneOf": {
      const kinds = (node.oneOf ?? []).flatMap((branch) => (branch.required as string[] | undefined) ?? []);
      const present = kinds.filter((kind) => data !== null && typeof data === "object" && kind in data);
      const list = kinds.map((k) => `\`${k}\``).join(", ");
      if (present.length === 0)
        return at(here, "missing-kind", `${field} needs one of ${list}`, node.description);
      return at(
        offsetOf(source, [...path, present[1] ?? ""], { key: true }),
        "several-kinds",
        `${field} has ${present.map((k) => `\`${k}\``).join(" and ")}; it must have exactly one of ${list}`,
        "each step or check does one thing: split it in two",
      );
    }
    case "dependentRequired": {
      const property = String(error.params.property);
      const needed = String(error.params.missingProperty);
      return at(
        offsetOf(source, [...path, property], { key: true }),
        "misplaced-key",
        `\`${property}\` applies only to a \`${needed}\` ${path.includes("verify") ? "check" : "step"}`,
        `remove \`${property}\`, or move it to a \`${needed}\``,
      );
    }
    case "minimum":
    case "maximum": {
      const limit = String(error.params.limit);
      const small = error.keyword === "minimum";
      return at(
        here,
        "out-of-range",
        `${field} ${JSON.stringify(data)} is too ${small ? "small" : "large"}: it must be at ${small ? "least" : "most"} ${limit}`,
        node.description,
      );
    }
    case "minItems":
      return at(here, "empty-list", emptyListMessage(path, value), emptyListHint(path));
    case "minLength":
      return at(here, "empty-value", `${field} is empty`, node.description);
    default:
      // Limits the cases above do not word themselves: a size or bound is out of range, anything else a bad value.
      return at(
        here,
        /^(max|exclusive)|^multipleOf$/.test(error.keyword) ? "out-of-range" : "bad-value",
        `${field} ${error.message ?? "is not valid"}`,
        node.description,
      );
  }
}

// YAML reads `true`, `1.10` or `5` as a boolean or number: suggest the quoted text only when it would be valid.
// A bare number where a duration belongs most likely means seconds.
function quoteHint(node: SchemaNode, key: string, text: string): string | undefined {
  const pattern = typeof node.pattern === "string" ? new RegExp(node.pattern, "u") : undefined;
  if (pattern === undefined || pattern.test(text)) return `quote it: \`${key}: "${text}"\``;
  if (/^\d+(\.\d+)?$/.test(text) && pattern.test(`${text}s`)) {
    return `a duration needs a unit (ms, s, m or h): \`${key}: "${text}s"\``;
  }
  return undefined;
}

const KEY_RULES: Record<string, string> = {
  labels:
    "label keys use lowercase letters, digits, `_` and `-`, start with a letter, and have at most 63 characters",
  vars: "variable names use letters, digits and `_`, and do not start with a digit",
  env: "environment variable names use letters, digits and `_`, and do not start with a digit",
};

function emptyListMessage(path: RecipePath, value: unknown): string {
  const last = path.at(-1);
  if (path.length === 1 && last === "layers") return "the recipe has no layers";
  if (last === "steps") {
    const layer = valueAt(value, path.slice(0, -1)) as { name?: unknown } | undefined;
    const name = typeof layer?.name === "string" ? `layer \`${layer.name}\`` : fieldName(path.slice(0, -1));
    return `${name} has no steps`;
  }
  return `${fieldName(path)} is an empty list`;
}

function emptyListHint(path: RecipePath): string | undefined {
  const last = path.at(-1);
  if (last === "layers") return "add a layer: `- name: app` with `steps:` under it";
  if (last === "steps") return "add a step (`run`, `copy` or `file`), or remove the layer";
  return undefined;
}

// The keys a mapping accepts; for `target`, those of the driver it names. A branch whose `if` does not require
// `driver` also applies when the driver is left out: that is how the schema makes `local` the default.
function knownKeys(node: SchemaNode, data: unknown): string[] {
  const keys = new Set(Object.keys(node.properties ?? {}));
  const driver =
    data !== null && typeof data === "object" ? (data as { driver?: unknown }).driver : undefined;
  for (const branch of node.allOf ?? []) {
    const named = branch.if?.properties?.driver?.const;
    const applies =
      driver === undefined
        ? named !== undefined && !(branch.if?.required ?? []).includes("driver")
        : named === driver;
    if (applies) {
      for (const key of Object.keys(branch.then?.properties ?? {})) keys.add(key);
    }
  }
  return [...keys];
}

/** A readable name for a path: `layers[1].steps[0].copy.to` reads as "`copy.to`", an item as "step 1". */
export function fieldName(path: RecipePath): string {
  if (path.length === 0) return "the recipe";
  const last = path.at(-1);
  if (typeof last === "number") {
    const list = String(path.at(-2) ?? "item");
    const noun =
      list === "verify" ? "check" : list === "layers" ? "layer" : list === "steps" ? "step" : "item";
    return `${noun} ${last + 1}`;
  }
  let start = path.length - 1;
  while (start > 0 && typeof path[start - 1] === "string" && path.length - start < 2) start--;
  return `\`${path.slice(start).join(".")}\``;
}

function toPath(value: unknown, pointer: string): RecipePath {
  const path: RecipePath = [];
  let current = value;
  for (const raw of pointer.split("/").slice(1)) {
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(current)) {
      const index = Number(segment);
      path.push(index);
      current = current[index];
    } else {
      path.push(segment);
      current =
        current !== null && typeof current === "object"
          ? (current as Record<string, unknown>)[segment]
          : undefined;
    }
  }
  return path;
}

function valueAt(value: unknown, path: RecipePath): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}
