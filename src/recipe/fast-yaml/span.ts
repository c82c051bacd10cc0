import type { RecipePath } from "../source.js";

/**
 * Where a node of a fast-parsed recipe sits: `start` and `end` are what `yaml` gives as a node's `range[0]` and
 * `range[1]` for scalars; for collections only `start` is kept to `yaml`'s (their end is the last child's).
 */
export interface Span {
  start: number;
  end: number;
  /** A mapping's keys in order (plain arrays: a recipe's mappings are small, and a Map per mapping costs more). */
  keys?: string[];
  /** Where each of a mapping's keys starts. */
  keyStarts?: number[];
  /** The spans of a mapping's values (in the order of `keys`) or of a sequence's items. */
  children?: Span[];
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
    if (span.keys !== undefined) {
      const index = span.keys.indexOf(String(segment));
      if (index === -1) return { span, keyStart, found: false };
      keyStart = span.keyStarts?.[index];
      span = span.children?.[index] as Span;
    } else if (span.children !== undefined && typeof segment === "number") {
      const item = span.children[segment];
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
    if (span?.keys !== undefined) {
      span = typeof segment === "string" ? span.children?.[span.keys.indexOf(segment)] : undefined;
    } else if (span?.children !== undefined) {
      const index = typeof segment === "string" && segment !== "" ? Number(segment) : segment;
      span = Number.isInteger(index) && (index as number) >= 0 ? span.children[index as number] : undefined;
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
  const varSpans = entry(root, "vars");
  if (vars === null || typeof vars !== "object" || Array.isArray(vars) || varSpans?.keys === undefined)
    return text;
  let shown = text;
  for (const name of varSpans.keys) {
    const spec = (vars as Record<string, unknown>)[name];
    const specSpans = entry(varSpans, name);
    if (spec === null || typeof spec !== "object" || specSpans?.keys === undefined) continue;
    const fallback = entry(specSpans, "default");
    if (!specSpans.keys.includes("secret") || (spec as Record<string, unknown>).secret !== true) continue;
    if (fallback === undefined) continue;
    if (fallback.keys !== undefined || fallback.children !== undefined) return undefined;
    const { start, end } = fallback;
    shown = shown.slice(0, start) + shown.slice(start, end).replace(/[^\n]/g, "*") + shown.slice(end);
  }
  return shown;
}

// The span of a mapping's value by key.
function entry(span: Span, key: string): Span | undefined {
  const index = span.keys?.indexOf(key) ?? -1;
  return index === -1 ? undefined : span.children?.[index];
}
