import type { EncodingProblem } from "./encoding.js";
import { formatExcerpt } from "./source.js";
import { loadYaml, yaml } from "./yaml-lazy.js";

// Top-level keys whose values bake never treats as secret. `vars` is not one (a secret's default is written
// there), nor is any key the bad byte may have mangled (`v\xe9rs:` still holds the variables).
const SAFE_KEYS = new Set([
  "apiVersion",
  "name",
  "version",
  "description",
  "from",
  "target",
  "layers",
  "verify",
  "labels",
  "config",
  "publish",
  "retain",
  "rollout",
]);

/**
 * The excerpt for a recipe that is not valid UTF-8, when it is sure to hold no secret. The masking of secret
 * defaults needs the parsed text, so the bytes are decoded leniently (a bad byte becomes U+FFFD) and parsed: the
 * line is shown only when that parse is clean and the line lies wholly outside `vars` (and outside any unknown
 * top-level key). Elsewhere the location and the hint say enough.
 */
export async function encodingExcerpt(
  bytes: Uint8Array,
  problem: EncodingProblem,
): Promise<string | undefined> {
  if (problem.lineText === "") return undefined;
  // The default decoder drops a UTF-8 byte order mark, as decodeUtf8 does before counting lines.
  const text = new TextDecoder("utf-8").decode(bytes);
  await loadYaml();
  const { isMap, isPair, isScalar, LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, merge: true, logLevel: "error", lineCounter: lines });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  const start = lines.lineStarts[problem.line - 1];
  if (start === undefined) return undefined;
  const newline = text.indexOf("\n", start);
  const end = newline === -1 ? text.length : newline;
  for (const pair of doc.contents.items) {
    if (!isPair(pair)) return undefined;
    const key = pair.key;
    const from = isScalar(key) ? key.range?.[0] : undefined;
    const value = pair.value as { range?: [number, number, number] } | null;
    const to = value?.range?.[2] ?? (isScalar(key) ? key.range?.[2] : undefined);
    if (from === undefined || to === undefined) return undefined;
    const safe = isScalar(key) && typeof key.value === "string" && SAFE_KEYS.has(key.value);
    if (!safe && from <= end && to >= start) return undefined;
  }
  return formatExcerpt(problem.lineText, { line: problem.line, col: problem.col });
}
