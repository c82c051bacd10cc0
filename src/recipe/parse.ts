import type { BakeErrorCode } from "../errors.js";
import type { Diagnostic } from "./diagnostics.js";
import { type FastDocument, fastParse } from "./fast-yaml/parse.js";
import { maskSecretSpans, type Span } from "./fast-yaml/span.js";
import { LineStarts } from "./line-starts.js";
import { diagnosticAt, maskSecretDefaults, type RecipeSource } from "./source.js";
import type { Document, ErrorCode, Node } from "./yaml.js";
import { yaml } from "./yaml-lazy.js";

// How bake reads YAML: one document, keys unique, `<<` merges, problems as data rather than exceptions.
const YAML_OPTIONS = { uniqueKeys: true, merge: true, prettyErrors: false, logLevel: "error" } as const;

/** Recipes larger than this are refused before parsing. */
export const MAX_RECIPE_BYTES = 1024 * 1024;
/** Alias expansions allowed while converting YAML to values (guards against "billion laughs"). */
export const MAX_ALIAS_COUNT = 100;
/** Deepest nesting of lists and mappings a recipe may have (a real one needs under ten levels). */
export const MAX_DEPTH = 64;

export interface ParseResult {
  source?: RecipeSource;
  /** The plain value of the document, when it parsed. */
  value?: unknown;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** Parse recipe text as one YAML document, keeping positions; every problem becomes a diagnostic. */
export function parseRecipeText(text: string, file: string): ParseResult {
  const size = Buffer.byteLength(text, "utf8");
  if (size > MAX_RECIPE_BYTES) return { errors: [tooLarge(file, size)], warnings: [] };
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter: lines });
  const source: RecipeSource = { file, text, lines, doc, shown: maskSecretDefaults(text, doc) };
  const errors = doc.errors.map((error) => yamlDiagnostic(source, error));
  // Where yaml's composer runs out of stack depends on the stack left to it; the document it composed up to there
  // still shows the first level too deep, which is where the error belongs.
  const overflow = errors.findIndex((error) => error.code === "yaml-too-deep");
  const deepest = overflow === -1 ? undefined : checkShape(doc.contents).tooDeep;
  if (deepest) errors[overflow] = tooDeep(source, deepest.range?.[0] ?? 0);
  const warnings = doc.warnings.map(
    (warning): Diagnostic => ({ ...yamlDiagnostic(source, warning), severity: "warning" }),
  );
  if (errors.length > 0) return { source, errors, warnings };
  const shape = checkShape(doc.contents);
  if (shape.tooDeep) errors.push(tooDeep(source, shape.tooDeep.range?.[0] ?? 0));
  // A list or mapping used as a key (`? [a]: b`) has no place in a recipe; yaml would stringify it.
  for (const key of shape.collectionKeys) {
    errors.push(
      diagnosticAt(source, key.range?.[0] ?? 0, {
        code: "yaml-complex-key",
        message: "a key must be a plain word, not a list or mapping",
        hint: "write the key as text, such as `name:`",
      }),
    );
  }
  if (errors.length > 0) return { source, errors, warnings };
  try {
    const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    return { source, value, errors, warnings };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // yaml's own words for its alias limit ("Excessive alias count ..."); other messages may mention aliases too
    // ("Merge sources must be maps or map aliases") without being about the limit.
    const aliases = /excessive alias count/i.test(message);
    // A merge key (`<<:`) with something other than a mapping: yaml says so without a position; the first merge key
    // written is the place to look.
    const merge = /^merge sources/i.test(message) ? /(?:^|[\s{,])(<<)\s*:/m.exec(text) : null;
    return {
      source,
      errors: [
        diagnosticAt(source, merge ? merge.index + merge[0].indexOf("<<") : 0, {
          code: aliases ? "yaml-alias-limit" : "yaml-invalid",
          message: aliases
            ? `the recipe expands YAML aliases too many times (the limit is ${MAX_ALIAS_COUNT})`
            : `the YAML cannot be read: ${firstLine(message)}`,
          hint: aliases
            ? "write the repeated parts out, or use fewer nested aliases"
            : merge
              ? "a merge key (<<) takes a mapping, or an alias of one (`<<: *defaults`)"
              : undefined,
        }),
      ],
      warnings,
    };
  }
}

/**
 * Parse recipe text with the fast front end (./fast-yaml/), which reads the common subset of YAML to the same data
 * as `yaml` does, with positions for every key and value. Answers `undefined` when the text leaves the subset;
 * the caller then uses {@link parseRecipeText}. The source's `doc` is yaml's, parsed only if something asks for it
 * (and only then is yaml needed: see ./yaml-lazy.ts).
 */
export function parseRecipeFast(text: string, file: string): ParseResult | undefined {
  // Three bytes per UTF-16 unit at most: anything that might be over the limit is left to the full parser.
  if (text.length * 3 > MAX_RECIPE_BYTES) return undefined;
  const fast = fastParse(text);
  if (fast === undefined) return undefined;
  return { source: new FastSource(file, text, fast), value: fast.value, errors: [], warnings: [] };
}

/**
 * The source of a fast-parsed recipe. A class rather than an object literal with getters: V8 builds such a
 * literal in its runtime, where it may land in the old generation, and it then keeps every young span and value
 * of the recipe alive through minor collections (tripling the parse's cost in GC).
 */
class FastSource implements RecipeSource {
  readonly lines: LineStarts;
  readonly spans: Span;
  #fast: FastDocument;
  #doc: Document.Parsed | undefined;
  #shown: string | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
    fast: FastDocument,
  ) {
    this.lines = new LineStarts(fast.lineStarts);
    this.spans = fast.root;
    this.#fast = fast;
  }

  get doc(): Document.Parsed {
    this.#doc ??= yaml().parseDocument(this.text, YAML_OPTIONS);
    return this.#doc;
  }

  get shown(): string {
    this.#shown ??=
      maskSecretSpans(this.text, this.#fast.value, this.#fast.root) ??
      maskSecretDefaults(this.text, this.doc);
    return this.#shown;
  }
}

/** The error for a recipe over {@link MAX_RECIPE_BYTES}, refused before parsing. */
export function tooLarge(file: string, size: number): Diagnostic {
  return {
    code: "recipe-too-large",
    severity: "error",
    message: `the recipe is more than ${MAX_RECIPE_BYTES} bytes (the limit)${size > MAX_RECIPE_BYTES + 1 ? `: ${size} bytes` : ""}`,
    location: { file, line: 1, col: 1 },
    hint: "move large content into files next to the recipe and use `copy`",
  };
}

const TOO_DEEP_HINT = "a recipe needs a few levels; check for runaway brackets or indentation";

interface YamlProblem {
  code: string;
  message: string;
  pos: [number, number];
}

const YAML_HINTS: Record<string, string> = {
  DUPLICATE_KEY: "a key may appear once in a mapping: remove or merge the repeated one",
  BAD_INDENT: "indent nested keys with spaces, consistently (YAML does not allow tabs for indentation)",
  TAB_AS_INDENT: "indent with spaces: YAML does not allow tabs for indentation",
  MISSING_CHAR: "check for an unclosed quote or bracket",
  BLOCK_AS_IMPLICIT_KEY: "a key must fit on one line; check the indentation of the line above",
  MULTILINE_IMPLICIT_KEY: "a key must fit on one line; check for a missing `:` or quote",
  UNEXPECTED_TOKEN: "check the indentation and the quoting of this line",
  ALIAS_PROPS: "an alias (*name) cannot carry a tag or anchor",
  BAD_ALIAS: "define the anchor (&name) before using it as *name",
  MULTIPLE_DOCS: "a recipe is a single YAML document: remove the `---` separator and what follows",
};

// bake's code for each code of the yaml parser: typed against yaml's own list, so a new one in an update fails
// the build until it is named here (and in BAKE_ERROR_CODES).
const YAML_CODES: Record<ErrorCode, BakeErrorCode> = {
  ALIAS_PROPS: "yaml-alias-props",
  BAD_ALIAS: "yaml-bad-alias",
  BAD_DIRECTIVE: "yaml-bad-directive",
  BAD_DQ_ESCAPE: "yaml-bad-dq-escape",
  BAD_INDENT: "yaml-bad-indent",
  BAD_PROP_ORDER: "yaml-bad-prop-order",
  BAD_SCALAR_START: "yaml-bad-scalar-start",
  BLOCK_AS_IMPLICIT_KEY: "yaml-block-as-implicit-key",
  BLOCK_IN_FLOW: "yaml-block-in-flow",
  DUPLICATE_KEY: "yaml-duplicate-key",
  IMPOSSIBLE: "yaml-impossible",
  KEY_OVER_1024_CHARS: "yaml-key-over-1024-chars",
  MISSING_CHAR: "yaml-missing-char",
  MULTILINE_IMPLICIT_KEY: "yaml-multiline-implicit-key",
  MULTIPLE_ANCHORS: "yaml-multiple-anchors",
  MULTIPLE_DOCS: "yaml-multiple-docs",
  MULTIPLE_TAGS: "yaml-multiple-tags",
  NON_STRING_KEY: "yaml-non-string-key",
  RESOURCE_EXHAUSTION: "yaml-resource-exhaustion",
  TAB_AS_INDENT: "yaml-tab-as-indent",
  TAG_RESOLVE_FAILED: "yaml-tag-resolve-failed",
  UNEXPECTED_TOKEN: "yaml-unexpected-token",
  BAD_COLLECTION_TYPE: "yaml-bad-collection-type",
};

function tooDeep(source: RecipeSource, offset: number): Diagnostic {
  return diagnosticAt(source, offset, {
    code: "yaml-too-deep",
    message: `the recipe nests lists and mappings more than ${MAX_DEPTH} levels deep`,
    hint: TOO_DEEP_HINT,
  });
}

// yaml reports problems with a code and character range; turn each into bake's diagnostic.
function yamlDiagnostic(source: RecipeSource, problem: YamlProblem): Diagnostic {
  const offset = problem.pos[0];
  let message = firstLine(problem.message).replace(/ at line \d+, column \d+:?$/, "");
  if (problem.code === "DUPLICATE_KEY") {
    const key = /^("[^"\n]*"|'[^'\n]*'|[^\s:,{}[\]]+)/.exec(source.text.slice(offset));
    message = key ? `duplicate key \`${key[0]}\`` : "duplicate key";
  } else if (problem.code === "MISSING_CHAR" && /closing ["']?quote/.test(message)) {
    const quote = message.includes("'") ? "'" : '"';
    return diagnosticAt(source, openingQuote(source, offset, quote), {
      code: "yaml-missing-char",
      message: "this quoted string is never closed",
      hint: `add the closing ${quote} at the end of the value`,
    });
  } else if (/call stack/i.test(message)) {
    // yaml's composer recurses and catches its own stack overflow; say what it means for a recipe.
    return tooDeep(source, offset);
  } else if (/multiple documents/i.test(message)) {
    return diagnosticAt(source, offset, {
      code: "yaml-multiple-docs",
      message: "the file holds more than one YAML document",
      hint: YAML_HINTS.MULTIPLE_DOCS,
    });
  }
  return diagnosticAt(
    source,
    { start: offset, end: problem.pos[1] },
    {
      code: YAML_CODES[problem.code as ErrorCode] ?? "yaml-invalid",
      message: message.charAt(0).toLowerCase() + message.slice(1),
      hint: YAML_HINTS[problem.code],
    },
  );
}

// yaml reports an unclosed quote where the text ends; point at the quote that opened it instead.
function openingQuote(source: RecipeSource, offset: number, quote: string): number {
  const index = source.text.lastIndexOf(quote, Math.max(0, offset - 1));
  return index === -1 ? offset : index;
}

/**
 * One walk with an explicit stack (a recursive one overflows on a 5,000-deep document): finds the first node
 * nested deeper than {@link MAX_DEPTH} and every key that is a collection.
 */
export function checkShape(root: unknown): { tooDeep?: Node; collectionKeys: Node[] } {
  const { isCollection, isMap, isPair, isSeq } = yaml();
  const collectionKeys: Node[] = [];
  const stack: { node: unknown; depth: number }[] = [{ node: root, depth: 1 }];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const { node, depth } = entry;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > MAX_DEPTH) return { tooDeep: node, collectionKeys };
    for (const item of node.items) {
      if (isPair(item)) {
        if (isCollection(item.key)) collectionKeys.push(item.key);
        stack.push({ node: item.value, depth: depth + 1 });
      } else stack.push({ node: item, depth: depth + 1 });
    }
  }
  // The stack visits in reverse; report keys in the order they are written.
  return { collectionKeys: collectionKeys.sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0)) };
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
