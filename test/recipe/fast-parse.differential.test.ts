// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell `${vars.NAME}` literally
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, stringify } from "yaml";
import { fastParse } from "../../src/recipe/fast-yaml/parse.js";
import { checkShape, parseRecipeFast, parseRecipeText } from "../../src/recipe/parse.js";
import { sourceText } from "../../src/recipe/rules/values.js";
import {
  offsetOf,
  offsetWithin,
  type RecipePath,
  type RecipeSource,
  spanOf,
} from "../../src/recipe/source.js";
import { validateRecipe } from "../../src/recipe/validate-recipe.js";
import { YAML_SOUP_TOKENS } from "./yaml-soup-tokens.js";

// The fast front end (src/recipe/fast-yaml/) against `yaml`, read with the options bake uses. Whenever the fast
// path answers, yaml must read the same text without an error or warning, to the same data (number vs string,
// -0, NaN and all), with the same line starts and the same position for every key and value; the position API
// (offsetOf, spanOf, offsetWithin, sourceText, the masked text of secrets) must answer the same from either source.

const OPTIONS = { uniqueKeys: true, merge: true, prettyErrors: false, logLevel: "error" } as const;
const root = join(import.meta.dirname, "../..");

/** Checks one text; answers whether the fast path took it (false: it bailed out to yaml). */
function expectSameAsYaml(text: string): boolean {
  const fast = fastParse(text);
  if (fast === undefined) return false;
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...OPTIONS, lineCounter: lines });
  expect(
    doc.errors.map((e) => e.message),
    text,
  ).toEqual([]);
  expect(
    doc.warnings.map((w) => w.message),
    text,
  ).toEqual([]);
  const shape = checkShape(doc.contents);
  expect(shape.tooDeep, text).toBeUndefined();
  expect(shape.collectionKeys, text).toEqual([]);
  expect(fast.value, text).toStrictEqual(doc.toJS({ maxAliasCount: 100 }));
  expect(fast.lineStarts, text).toEqual(lines.lineStarts);

  const slow = parseRecipeText(text, "recipe.yaml").source as RecipeSource;
  const quick = parseRecipeFast(text, "recipe.yaml")?.source as RecipeSource;
  expect(quick.shown, text).toBe(slow.shown);
  for (const { path, node } of nodes(doc.contents as Node, [])) {
    const where = `${JSON.stringify(path)} in\n${text}`;
    expect(offsetOf(quick, path), where).toBe(offsetOf(slow, path));
    expect(offsetOf(quick, path, { key: true }), where).toBe(offsetOf(slow, path, { key: true }));
    expect(spanOf(quick, path), where).toEqual(spanOf(slow, path));
    expect(spanOf(quick, path, { key: true }), where).toEqual(spanOf(slow, path, { key: true }));
    if (isScalar(node)) {
      expect(sourceText({ source: quick }, path), where).toBe(sourceText({ source: slow }, path));
      const [from, to] = node.range as [number, number, number];
      const needle = text.slice(from + 1, Math.min(to, from + 4));
      if (needle !== "")
        expect(offsetWithin(quick, path, needle), where).toBe(offsetWithin(slow, path, needle));
    }
    // One step past the node: a miss points at the nearest parent in both.
    expect(offsetOf(quick, [...path, "missing"]), where).toBe(offsetOf(slow, [...path, "missing"]));
    expect(spanOf(quick, [...path, "missing"]), where).toEqual(spanOf(slow, [...path, "missing"]));
  }
  return true;
}

// Every node of yaml's tree with its path, as the validator's paths spell them.
function* nodes(node: Node, path: RecipePath): Generator<{ path: RecipePath; node: Node }> {
  yield { path, node };
  if (isMap(node)) {
    for (const pair of node.items)
      yield* nodes(pair.value as Node, [...path, String((pair.key as Node & { value: unknown }).value)]);
  } else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) yield* nodes(item as Node, [...path, index]);
  }
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

// Plain scalars that resolve to something other than a string under the core schema, and near misses.
const TRICKY = [
  "true",
  "True",
  "TRUE",
  "tRUE",
  "false",
  "FALSE",
  "yes",
  "no",
  "on",
  "off",
  "y",
  "n",
  "null",
  "Null",
  "NULL",
  "nULL",
  "~",
  "0",
  "-0",
  "+0",
  "007",
  "+12",
  "-12",
  "1_000",
  "12345678901234567890",
  "0o17",
  "0o8",
  "-0o17",
  "0O17",
  "0x1F",
  "0xg",
  "-0x1",
  "0X1F",
  "0b101",
  "1.5",
  "1.",
  ".5",
  "-.5",
  "+1.50",
  "1e3",
  "1E-3",
  "-1.5e+10",
  "1e",
  "e3",
  ".inf",
  "-.Inf",
  "+.INF",
  ".nan",
  ".NaN",
  ".NAN",
  "-.nan",
  "inf",
  "nan",
  "1.2.3",
  "0755",
  "1:2",
  "12:30:00",
  "2001-12-14",
  "a#b",
  "a #b",
  "http://x:8080/a?b=c#d",
  "${vars.port}",
  "-x",
  "-1x",
  "--",
  "a - b",
  "é",
  "日本",
  "x:",
  "a: b",
  "- a",
  "@x",
  "`x`",
  "%x",
  "!x",
  "&x",
  "*x",
  "?x",
  ":x",
  "x,y",
  "x]",
  "[x",
  "{x",
  "x}",
  "'a'",
  '"a"',
  "'",
  '"',
  "a'b",
  'a"b',
  "#x",
  "|",
  ">",
  "|-",
  ">-",
  "|+",
  "|2",
  "---",
  "...",
  "<<",
  "__proto__",
  "a\\nb",
  "\\",
  "",
];

const word = fc.stringMatching(/^[a-z][a-z0-9_./:-]{0,8}$/);
const plainish = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 4, arbitrary: word },
  { weight: 1, arbitrary: fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join(" ")) },
  {
    weight: 1,
    arbitrary: fc.string({
      maxLength: 10,
      unit: fc.constantFrom("a", " ", ":", "#", "-", "'", '"', ",", "[", "}", "\\", "é"),
    }),
  },
);
const quoted = fc.oneof(
  fc.string({ maxLength: 10 }).map((s) => JSON.stringify(s)),
  fc.string({ maxLength: 10 }).map((s) => `'${s.replaceAll("'", "''")}'`),
  fc.constantFrom('"\\x41\\u00e9\\/\\0"', '"\\ud83d"', '"\\e\\N"', '"a\\\nb"', "'a''b'", '""', "''"),
);
const scalar = fc.oneof({ weight: 4, arbitrary: plainish }, { weight: 1, arbitrary: quoted });
const key = fc.oneof(
  { weight: 12, arbitrary: word },
  { weight: 1, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 1, arbitrary: quoted },
);
const comment = fc.oneof(
  { weight: 6, arbitrary: fc.constant("") },
  { weight: 1, arbitrary: fc.constantFrom(" # note", "  #x", "#glued", " #") },
);

interface Tree {
  kind: "map" | "seq" | "scalar" | "block" | "flow";
  entries?: { key: string; value: Tree }[];
  items?: Tree[];
  text?: string;
  header?: string;
  lines?: string[];
  /** Extra indentation for this node's children (0 puts a sequence at its key's column). */
  step: number;
  compact: boolean;
  comment: string;
}

const tree = fc.letrec<{ node: Tree; leaf: Tree }>((tie) => ({
  leaf: fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant("scalar" as const),
        text: scalar,
        step: fc.constant(2),
        compact: fc.boolean(),
        comment,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("block" as const),
        header: fc.constantFrom("|", "|-", ">", ">-", "|+", ">+", "|2", "| # c", "|#c"),
        lines: fc.array(
          fc.oneof(word, fc.constantFrom("", "  more", "# not a comment", " ", "a  b ", "x: y", "- z")),
          { maxLength: 5 },
        ),
        step: fc.constantFrom(1, 2, 4),
        compact: fc.boolean(),
        comment: fc.constant(""),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("flow" as const),
        text: fc.oneof(
          fc.array(scalar, { maxLength: 4 }).map((items) => `[${items.join(", ")}]`),
          fc
            .array(fc.tuple(key, scalar), { maxLength: 3 })
            .map((pairs) => `{${pairs.map(([k, v]) => `${k}: ${v}`).join(", ")}}`),
          fc.constantFrom(
            "[]",
            "{}",
            "[a, [b, c], {d: e}]",
            "[a,b]",
            "[ a , b ]",
            "[a, ]",
            "{a: 1, a: 2}",
            "[a: b]",
            "{a:1}",
            "[a\n, b]",
          ),
        ),
        step: fc.constant(2),
        compact: fc.boolean(),
        comment,
      }),
    },
  ),
  node: fc.oneof(
    { weight: 3, arbitrary: tie("leaf") },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("map" as const),
        entries: fc.array(fc.record({ key, value: tie("node") }), { minLength: 1, maxLength: 4 }),
        step: fc.constantFrom(1, 2, 3, 4),
        compact: fc.boolean(),
        comment,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("seq" as const),
        items: fc.array(tie("node"), { minLength: 1, maxLength: 4 }),
        step: fc.constantFrom(0, 2, 4),
        compact: fc.boolean(),
        comment,
      }),
    },
  ),
}));

// Renders a value that follows `key:` or `-` (the text after the indicator, with its lines at `indent`).
function renderValue(node: Tree, indent: number, afterDash: boolean): string {
  const pad = " ".repeat(indent);
  switch (node.kind) {
    case "scalar":
    case "flow":
      return ` ${node.text}${node.comment}\n`;
    case "block": {
      const inner = " ".repeat(indent + node.step);
      const body = (node.lines ?? []).map((line) => (line === "" ? "\n" : `${inner}${line}\n`)).join("");
      return ` ${node.header}\n${body}`;
    }
    case "map": {
      const inner = indent + node.step;
      if (afterDash && node.compact) {
        // `- key: value` with the next keys under the first.
        const column = indent + 2;
        const [first, ...rest] = node.entries ?? [];
        if (first === undefined) return "\n";
        return ` ${first.key}:${renderValue(first.value, column, false)}${renderMap(rest, column)}`;
      }
      return `${node.comment}\n${renderMap(node.entries ?? [], inner)}`;
    }
    case "seq": {
      const column = afterDash ? indent + Math.max(node.step, 2) : indent + node.step;
      return `${node.comment}\n${(node.items ?? []).map((item) => `${" ".repeat(column)}-${renderValue(item, column, true)}`).join("")}`;
    }
  }
  return pad;
}

function renderMap(entries: { key: string; value: Tree }[], indent: number): string {
  return entries
    .map(({ key: k, value }) => `${" ".repeat(indent)}${k}:${renderValue(value, indent, false)}`)
    .join("");
}

const documents = fc
  .tuple(
    fc.array(fc.record({ key, value: tree.node }), { minLength: 1, maxLength: 5 }),
    fc.constantFrom("", "\n", "# head\n", "\n\n", "---\n"),
    fc.constantFrom("", "\n", "# tail", "  \n", "..."),
  )
  .map(([entries, head, tail]) => `${head}${renderMap(entries, 0)}${tail}`);

// Recipe-shaped values written by yaml's own stringify, in the styles it can produce.
const recipeValue = fc.record(
  {
    apiVersion: fc.constant("bake/v1"),
    name: fc.oneof(word, fc.constantFrom(...TRICKY)),
    version: fc.oneof(fc.constantFrom("${vars.v}", "1.0", "1.10"), fc.integer(), fc.double()),
    from: fc.constantFrom("scratch", "web@stable", "docker://debian", "oci-archive:./b.tar"),
    vars: fc.dictionary(
      word,
      fc.record(
        {
          type: fc.constantFrom("string", "number", "boolean"),
          default: fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constantFrom(...TRICKY)),
          secret: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
    ),
    layers: fc.array(
      fc.record({
        name: word,
        steps: fc.array(
          fc.oneof(
            fc.record({
              run: fc.oneof(fc.string(), fc.array(fc.string())),
              timeout: fc.constantFrom("1s", "5m"),
            }),
            fc.record({
              copy: fc.record({
                from: word,
                to: word,
                mode: fc.oneof(fc.constantFrom("0755", "644"), fc.integer({ min: 0, max: 800 })),
              }),
            }),
            fc.record({ file: fc.record({ path: word, content: fc.string() }) }),
          ),
          { maxLength: 4 },
        ),
      }),
      { maxLength: 3 },
    ),
    labels: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
  },
  { requiredKeys: ["apiVersion", "name"] },
);
const stringifyOptions = fc.record({
  indent: fc.constantFrom(2, 4),
  indentSeq: fc.boolean(),
  blockQuote: fc.constantFrom(true, false, "literal" as const, "folded" as const),
  defaultStringType: fc.constantFrom("PLAIN" as const, "QUOTE_DOUBLE" as const, "QUOTE_SINGLE" as const),
  defaultKeyType: fc.constantFrom(null, "PLAIN" as const),
  lineWidth: fc.constantFrom(0, 20, 80),
  collectionStyle: fc.constantFrom("any" as const, "block" as const, "flow" as const),
});

// Recipes that validate (often with warnings: secret defaults, ignored patterns, decimal modes).
const validRecipe = fc.record({
  apiVersion: fc.constant("bake/v1"),
  name: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/),
  from: fc.constantFrom("scratch", "host", "web@stable"),
  vars: fc.dictionary(
    fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/),
    fc.oneof(
      fc.record(
        { type: fc.constant("string"), default: fc.string(), secret: fc.boolean() },
        { requiredKeys: ["type"] },
      ),
      fc.record(
        { type: fc.constant("number"), default: fc.integer(), pattern: fc.constant("^[0-9]+$") },
        { requiredKeys: ["type"] },
      ),
      fc.record({ type: fc.constant("boolean"), default: fc.boolean() }),
    ),
    { maxKeys: 4 },
  ),
  layers: fc
    .array(
      fc.record({
        name: fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/),
        steps: fc.array(
          fc.oneof(
            fc.record({ run: fc.oneof(fc.string(), fc.array(fc.string(), { minLength: 1 })) }),
            fc.record({
              file: fc.record(
                {
                  path: fc.stringMatching(/^\/[a-z]{1,8}$/),
                  content: fc.string(),
                  mode: fc.oneof(fc.constantFrom("0755", "0600"), fc.integer({ min: 0, max: 0o777 })),
                },
                { requiredKeys: ["path", "content"] },
              ),
            }),
          ),
          { minLength: 1, maxLength: 3 },
        ),
      }),
      { minLength: 1, maxLength: 3 },
    )
    .map((layers) => layers.map((layer, index) => ({ ...layer, name: `${layer.name}-${index}` }))),
  labels: fc.dictionary(fc.stringMatching(/^[a-z][a-z.-]{0,8}$/), fc.string(), { maxKeys: 3 }),
});

describe("the fast YAML front end against yaml", () => {
  test("reads every YAML file in the fixtures, examples and templates as yaml does, or bails out", () => {
    const files = ["test/fixtures", "examples", "templates"].flatMap((dir) => yamlFiles(join(root, dir)));
    expect(files.length).toBeGreaterThan(40);
    const taken = files.filter((path) => expectSameAsYaml(readFileSync(path, "utf8")));
    // The valid examples are the happy path the fast front end exists for.
    for (const path of files.filter((f) => f.includes("/examples/") && f.endsWith("recipe.yaml"))) {
      expect(taken, path).toContain(path);
    }
  });

  test("resolves every tricky scalar as yaml does, in each place a scalar can stand", () => {
    const places = [
      (s: string) => `a: ${s}\n`,
      (s: string) => `a: ${s} # note\n`,
      (s: string) => `a:\n  - ${s}\n  - x\n`,
      (s: string) => `a:\n- ${s}\nb: c\n`,
      (s: string) => `a: [${s}, x]\n`,
      (s: string) => `a: {k: ${s}}\n`,
      (s: string) => `${s}: v\n`,
      (s: string) => `a:\n  - ${s}: v\n    b: ${s}\n`,
      (s: string) => `a: "${s}"\nb: '${s}'\n`,
      (s: string) => `# head\n--- # start\na: ${s}\n`,
    ];
    let taken = 0;
    for (const tricky of TRICKY) for (const place of places) if (expectSameAsYaml(place(tricky))) taken++;
    // Numbers, booleans and nulls are the point: each must take the fast path as a plain value.
    for (const value of [
      "0o17",
      "0x1F",
      "-0",
      "12345678901234567890",
      "1e3",
      "-.Inf",
      ".NaN",
      "~",
      "FALSE",
      "1.",
    ]) {
      expect(fastParse(`a: ${value}\n`), value).toBeDefined();
    }
    expect(taken).toBeGreaterThan(TRICKY.length * 3);
  });

  test("reads generated block YAML with tricky scalars as yaml does, or bails out", () => {
    let taken = 0;
    fc.assert(
      fc.property(documents, (text) => {
        if (expectSameAsYaml(text)) taken++;
      }),
      { numRuns: 3000 },
    );
    // The generator must exercise the fast path, not only its bail-outs (most documents hold some construct
    // outside the subset; about one in eight does not).
    expect(taken).toBeGreaterThan(150);
  });

  test("reads recipe-shaped values as yaml's stringify writes them, in every style, as yaml does", () => {
    let taken = 0;
    fc.assert(
      fc.property(recipeValue, stringifyOptions, (value, options) => {
        if (expectSameAsYaml(stringify(value, options))) taken++;
      }),
      { numRuns: 1500 },
    );
    expect(taken).toBeGreaterThan(300);
  });

  test("validates generated recipes to the same recipe and the same warnings as the yaml path", () => {
    const file = join(mkdtempSync(join(tmpdir(), "bake-fast-diff-")), "recipe.yaml");
    let taken = 0;
    let warned = 0;
    fc.assert(
      fc.property(validRecipe, stringifyOptions, (value, options) => {
        const text = stringify(value, options);
        // A tab in a trailing comment sends the same text down yaml's path without changing a position.
        const viaYaml = validateRecipe(`${text}#\tslow\n`, { file });
        const result = validateRecipe(text, { file });
        expect(result, text).toStrictEqual(viaYaml);
        if (parseRecipeFast(text, file) !== undefined) {
          taken++;
          if (result.warnings.length > 0) warned++;
        }
      }),
      { numRuns: 1000 },
    );
    expect(taken).toBeGreaterThan(200);
    expect(warned).toBeGreaterThan(20);
  });

  test("answers YAML-like token soup and arbitrary text as yaml does, or bails out", () => {
    const soup = fc
      .array(fc.constantFrom(...YAML_SOUP_TOKENS), { maxLength: 30 })
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(soup, (text) => void expectSameAsYaml(text)),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => void expectSameAsYaml(text)),
      { numRuns: 1000 },
    );
  });
});
