import type { RecipePath } from "../source.js";

/**
 * Where a node of a fast-parsed recipe sits: `start` and `end` are what `yaml` gives as a node's `range[0]` and
 * `range[1]` for scalars; for collections only `start` is kept to `yaml`'s (their end is the last child's).
 */
export interface Span {
  start: number;
  end: number;
  /** A mapping's entries by key, with the offset where each key starts. */
  entries?: Map<string, { keyStart: number; span: Span }>;
  /** A sequence's items. */
  items?: Span[];
}

/** What {@link locateSpan} finds: the deepest span on the way, the key that introduced it, and whether it is the one. */
export interface Located {
  span: Span;
  keyStart: number | undefined;
  found: boolean;
}

/**
 * The span at `path`, walking as `nodeAt` in ../source.ts walks `yaml`'s nodes: a mapping is entered by the key
 * `String(segment)`, a sequence by a numeric segment; on a miss, the deepest span reached.
 */
export function locateSpan(root: Span, path: RecipePath): Located {
  let span = root;
  let keyStart: number | undefined;
  for (const segment of path) {
    if (span.entries !== undefined) {
      const entry = span.entries.get(String(segment));
      if (entry === undefined) return { span, keyStart, found: false };
      keyStart = entry.keyStart;
      span = entry.span;
    } else if (span.items !== undefined && typeof segment === "number") {
      const item = span.items[segment];
      if (item === undefined) return { span, keyStart, found: false };
      span = item;
      keyStart = undefined;
    } else {
      return { span, keyStart, found: false };
    }
  }
  return { span, keyStart, found: true };
}

/** The span `yaml`'s `doc.getIn(path, true)` would give a range for: exact keys and non-negative integer indexes. */
export function spanAtPath(root: Span, path: RecipePath): Span | undefined {
  let span: Span | undefined = root;
  for (const segment of path) {
    if (span?.entries !== undefined) {
      span = typeof segment === "string" ? span.entries.get(segment)?.span : undefined;
    } else if (span?.items !== undefined) {
      const index = typeof segment === "string" && segment !== "" ? Number(segment) : segment;
      span = Number.isInteger(index) && (index as number) >= 0 ? span.items[index as number] : undefined;
    } else return undefined;
  }
  return span;
}

/**
 * `text` with the default of every secret variable blanked out (offsets unchanged), as `maskSecretDefaults` in
 * ../source.ts does from `yaml`'s nodes; `undefined` when a secret's default is a list or mapping, whose end
 * only `yaml`'s nodes know.
 */
export function maskSecretSpans(
  text: string,
  value: Record<string, unknown>,
  root: Span,
): string | undefined {
  const vars = value.vars;
  const varSpans = root.entries?.get("vars")?.span.entries;
  if (vars === null || typeof vars !== "object" || Array.isArray(vars) || varSpans === undefined) return text;
  let shown = text;
  for (const [name, entry] of varSpans) {
    const spec = (vars as Record<string, unknown>)[name];
    const specSpans = entry.span.entries;
    if (spec === null || typeof spec !== "object" || specSpans === undefined) continue;
    const secret = specSpans.get("secret");
    const fallback = specSpans.get("default");
    if (secret === undefined || (spec as Record<string, unknown>).secret !== true || fallback === undefined)
      continue;
    if (fallback.span.entries !== undefined || fallback.span.items !== undefined) return undefined;
    const { start, end } = fallback.span;
    shown = shown.slice(0, start) + shown.slice(start, end).replace(/[^\n]/g, "*") + shown.slice(end);
  }
  return shown;
}
