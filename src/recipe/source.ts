import type { SourceLocation } from "../errors.js";
import { printable } from "../util/printable.js";
import type { Diagnostic } from "./diagnostics.js";
import { locateSpan, type Span } from "./fast-yaml/span.js";
import type { LinePositions } from "./line-starts.js";
import { recipeSchema } from "./schema/describe.js";
import type { Document, Node } from "./yaml.js";
import { yaml } from "./yaml-lazy.js";

/** A parsed recipe with what is needed to point at any of its parts. */
export interface RecipeSource {
  file: string;
  text: string;
  /** yaml's `LineCounter`, or the fast front end's equivalent. */
  lines: LinePositions;
  /** yaml's document. When `spans` is set (the fast front end read the text), it is parsed only if asked for. */
  doc: Document.Parsed;
  /** `text` with secret values blanked out, offsets unchanged: what excerpts show. */
  shown?: string;
  /** Positions from the fast front end (./fast-yaml/), which answer in place of `doc`'s nodes. */
  spans?: Span;
}

/** A path into the parsed recipe, as JSON pointer segments (`["layers", 0, "name"]`). */
export type RecipePath = (string | number)[];

/** 1-based line and column of a character offset. */
export function locationAt(source: Pick<RecipeSource, "file" | "lines">, offset: number): SourceLocation {
  const { line, col } = source.lines.linePos(offset);
  return { file: source.file, line, col };
}

/** The source line holding `offset`, numbered, with a caret under its column. */
export function excerptAt(source: Pick<RecipeSource, "text" | "lines" | "shown">, offset: number): string {
  const { line, col } = source.lines.linePos(offset);
  const shown = source.shown ?? source.text;
  const start = source.lines.lineStarts[line - 1] ?? 0;
  const end = shown.indexOf("\n", start);
  return formatExcerpt(shown.slice(start, end === -1 ? undefined : end).replace(/\r$/, ""), { line, col });
}

/** Characters of a long line shown before the caret's column, and in all, in an excerpt. */
export const EXCERPT_BEFORE = 40;
export const EXCERPT_WIDTH = 100;

/**
 * One numbered source line with a caret under `col` (1-based). A long line is cut to a window around the column
 * with `…` on the cut sides, and control characters are escaped ({@link printable}), so a hostile or minified file
 * prints a short, inert excerpt whose caret still points at the right character.
 */
export function formatExcerpt(text: string, at: { line: number; col: number }): string {
  const index = Math.min(Math.max(at.col - 1, 0), text.length);
  const from = text.length > EXCERPT_WIDTH ? Math.max(0, index - EXCERPT_BEFORE) : 0;
  const to = Math.min(text.length, from + EXCERPT_WIDTH);
  const head = from > 0 ? "…" : "";
  const tail = to < text.length ? "…" : "";
  const before = printable(text.slice(from, index));
  const gutter = String(at.line);
  const pad = " ".repeat(gutter.length);
  // Keep tabs under tabs so the caret lines up in a terminal.
  const lead = `${head}${before}`.replace(/[^\t]/g, " ");
  return ` ${gutter} | ${head}${before}${printable(text.slice(index, to))}${tail}\n ${pad} | ${lead}^`;
}

/** Where a diagnostic points: a character offset, or a range with the recipe path it belongs to. */
export type DiagnosticSpan = number | { start: number; end?: number; path?: RecipePath };

/**
 * A diagnostic pointing at `at` (an offset, or a span with its end and path), with its excerpt.
 * Its severity is `error` unless `diag.severity` says otherwise.
 */
export function diagnosticAt(
  source: Pick<RecipeSource, "file" | "text" | "lines" | "shown">,
  at: DiagnosticSpan,
  diag: Omit<Diagnostic, "location" | "excerpt" | "severity" | "end" | "path"> & {
    severity?: Diagnostic["severity"];
  },
): Diagnostic {
  const span = typeof at === "number" ? { start: at } : at;
  const clamp = (offset: number) => Math.max(0, Math.min(offset, source.text.length));
  const clamped = clamp(span.start);
  const message = clip(oneLine(diag.message));
  const hint = diag.hint === undefined ? {} : { hint: clip(oneLine(diag.hint), MAX_HINT) };
  const end =
    span.end === undefined || span.end <= clamped ? {} : { end: source.lines.linePos(clamp(span.end)) };
  return {
    ...diag,
    severity: diag.severity ?? "error",
    message,
    ...hint,
    location: locationAt(source, clamped),
    ...end,
    ...(span.path === undefined ? {} : { path: jsonPointer(span.path) }),
    excerpt: excerptAt(source, clamped),
  };
}

/** A recipe path as a JSON pointer (RFC 6901): `["layers", 0, "a/b"]` is `/layers/0/a~1b`. */
export function jsonPointer(path: RecipePath): string {
  return path.map((segment) => `/${String(segment).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

// Messages quote the recipe's own keys and values, which YAML lets span lines; a message stays one line.
function oneLine(text: string): string {
  return text.replace(/\r\n|\r|\n/g, "\\n");
}

/** Longest message kept whole; a longer one (quoting a huge value) keeps its start and end. */
export const MAX_MESSAGE = 200;
/** Longest hint kept whole (hints quote the schema's descriptions, which run longer). */
export const MAX_HINT = 500;

function clip(text: string, max = MAX_MESSAGE): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 60)} … ${text.slice(-50)}`;
}

/** The YAML node at `path` (or the deepest one found on the way) and the key node that introduced it. */
export function nodeAt(
  doc: Document.Parsed,
  path: RecipePath,
): { node: Node | undefined; key: Node | undefined; found: boolean } {
  const { isAlias, isMap, isPair, isSeq } = yaml();
  let node: Node | undefined = (doc.contents ?? undefined) as Node | undefined;
  let key: Node | undefined;
  for (const segment of path) {
    // Follow `*alias` to its `&anchor`, so errors inside shared parts point at where they are written.
    if (isAlias(node)) node = (node.resolve(doc) ?? node) as Node;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (!pair) return { node, key, found: false };
      key = pair.key as Node;
      node = (pair.value ?? undefined) as Node | undefined;
      // A key with no value (`name:`) has no node: point at the key.
      if (node === undefined || node.range === undefined) return { node: key, key, found: true };
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (!item) return { node, key, found: false };
      node = item;
      key = undefined;
    } else {
      return { node, key, found: false };
    }
  }
  return { node, key, found: true };
}

function keyText(key: unknown): string | undefined {
  if (yaml().isScalar(key)) return String(key.value);
  return undefined;
}

/** Offset of the value at `path` (or of its key, with `key: true`), falling back to the nearest parent. */
export function offsetOf(source: RecipeSource, path: RecipePath, options: { key?: boolean } = {}): number {
  if (source.spans !== undefined) {
    // The fast front end has no empty values, so only `key: true` points at the key.
    const { span, keyStart } = locateSpan(source.spans, path);
    return options.key && keyStart !== undefined ? keyStart : span.start;
  }
  const { node, key } = nodeAt(source.doc, path);
  // An empty value (`name:`) has a zero-width node after the colon; its key is the better place to point.
  const range = node?.range;
  const empty = range !== undefined && range !== null && range[0] === range[1];
  const target = (options.key || empty) && key ? key : node;
  return target?.range?.[0] ?? 0;
}

/** The span (start, end and path) of the value at `path`, or of its key with `key: true`. */
export function spanOf(
  source: RecipeSource,
  path: RecipePath,
  options: { key?: boolean } = {},
): { start: number; end?: number; path: RecipePath } {
  if (source.spans !== undefined && !options.key) {
    // A scalar's span is yaml's range (./fast-yaml/span.ts), so a warning on a fast-read recipe (a secret's
    // default, say) needs no yaml parse. A key's end and a collection's end are yaml's alone: those ask `doc`.
    const { span, found } = locateSpan(source.spans, path);
    if (found && span.keys === undefined && span.children === undefined) {
      return { start: span.start, end: span.end, path };
    }
  }
  const { node, key } = nodeAt(source.doc, path);
  const range = node?.range;
  const empty = range !== undefined && range !== null && range[0] === range[1];
  const target = (options.key || empty) && key ? key : node;
  const start = target?.range?.[0] ?? 0;
  const end = target?.range?.[1];
  return { start, ...(end === undefined ? {} : { end }), path };
}

/** Offset of `needle` inside the source text of the value at `path`, or of the value itself. */
export function offsetWithin(source: RecipeSource, path: RecipePath, needle: string): number {
  if (source.spans !== undefined) {
    const { span, found } = locateSpan(source.spans, path);
    if (!found) return offsetOf(source, path);
    const index = source.text.slice(span.start, span.end).indexOf(needle);
    return index === -1 ? span.start : span.start + index;
  }
  const { node, found } = nodeAt(source.doc, path);
  const range = node?.range;
  if (!found || !range) return offsetOf(source, path);
  const index = source.text.slice(range[0], range[1]).indexOf(needle);
  return index === -1 ? range[0] : range[0] + index;
}

/**
 * The recipe text with the defaults of secret variables replaced by `*`, so no excerpt ever prints them.
 * Offsets are unchanged, so locations and carets stay right. When the YAML is broken, which text belongs to a
 * secret's default cannot be told (a mis-indented block scalar reads as a key of its own): then everything in the
 * top-level `vars:` block is masked.
 */
export function maskSecretDefaults(text: string, doc: Document.Parsed): string {
  const masked = maskParsedSecretDefaults(text, doc);
  return doc.errors.length > 0 ? maskVarsBlock(masked) : masked;
}

function maskVarsBlock(text: string): string {
  // The block ends at the next of the recipe's own top-level keys: a line at column 0 that is not one of them (a
  // secret's text that lost its indentation) is still masked.
  const topLevel = new Set(Object.keys(recipeSchema().properties ?? {}));
  let inside = false;
  return text
    .split("\n")
    .map((line) => {
      const start = /^vars\s*:/.exec(line);
      if (start) {
        inside = true;
        return start[0] + line.slice(start[0].length).replace(/\S/g, "*");
      }
      const key = /^([A-Za-z][\w-]*)\s*:/.exec(line)?.[1];
      if (inside && key !== undefined && topLevel.has(key)) inside = false;
      return inside ? line.replace(/\S/g, "*") : line;
    })
    .join("\n");
}

function maskParsedSecretDefaults(text: string, doc: Document.Parsed): string {
  const { isMap, isPair, isScalar } = yaml();
  const vars = isMap(doc.contents) ? doc.contents.get("vars", true) : undefined;
  if (!isMap(vars)) return text;
  let shown = text;
  for (const pair of vars.items) {
    const spec = isPair(pair) ? pair.value : undefined;
    if (!isMap(spec)) continue;
    const secret = spec.get("secret", true);
    const value = spec.get("default", true) as Node | undefined;
    if (!isScalar(secret) || secret.value !== true || !value?.range) continue;
    const [from, to] = value.range;
    shown = shown.slice(0, from) + shown.slice(from, to).replace(/[^\n]/g, "*") + shown.slice(to);
  }
  return shown;
}
