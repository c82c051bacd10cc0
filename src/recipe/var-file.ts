import { BakeError } from "../errors.js";
import { decodeUtf8 } from "./encoding.js";
import { checkShape, MAX_DEPTH, MAX_RECIPE_BYTES } from "./parse.js";
import { readSourceFile } from "./read-source.js";
import { formatExcerpt } from "./source.js";
import { loadYaml, yaml } from "./yaml-lazy.js";

const USAGE = "--var-file takes a YAML or JSON file of NAME: VALUE lines";

/**
 * Read a `--var-file`: a YAML (or JSON, which is YAML) mapping of variable names to values. Like a recipe, it must
 * be a regular UTF-8 file of at most {@link MAX_RECIPE_BYTES} bytes.
 *
 * @param options.signal - aborts the read.
 * @throws BakeError `var-file-unreadable` or `var-file-invalid` (exit 2).
 */
export async function readVarFile(
  path: string,
  shown: string,
  options: { signal?: AbortSignal } = {},
): Promise<Record<string, unknown>> {
  const read = await readSourceFile(path, { shown, limit: MAX_RECIPE_BYTES, ...options });
  if ("problem" in read) {
    const { reason } = read.problem;
    throw new BakeError({
      code: "var-file-unreadable",
      message: reason === "missing" ? `no var file at ${shown}` : `var file ${read.problem.message}`,
      hint:
        reason === "not-regular"
          ? "bake reads a var file only from a regular file: save the values to one first"
          : reason === "too-large"
            ? `a var file holds at most ${MAX_RECIPE_BYTES} bytes of NAME: VALUE lines`
            : USAGE,
    });
  }
  const decoded = decodeUtf8(read.bytes);
  if ("problem" in decoded) {
    const { message, hint, line, col, lineText } = decoded.problem;
    throw new BakeError({
      code: "var-file-invalid",
      message: `var file: ${message}`,
      location: { file: shown, line, col },
      ...(lineText === "" ? {} : { detail: formatExcerpt(lineText, { line, col }) }),
      hint,
    });
  }
  const text = decoded.text;
  // checkShape reads the nodes through yaml(), so load the module there rather than import it here.
  await loadYaml();
  const { parseDocument } = yaml();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, logLevel: "error" });
  const [problem] = doc.errors;
  const tooDeep = problem === undefined ? checkShape(doc.contents).tooDeep : undefined;
  if ((problem && /call stack/i.test(problem.message)) || tooDeep) {
    throw new BakeError({
      code: "var-file-invalid",
      message: `${shown} nests lists and mappings more than ${MAX_DEPTH} levels deep`,
      hint: "a var file holds NAME: VALUE lines, one level deep",
    });
  }
  if (problem) {
    throw new BakeError({
      code: "var-file-invalid",
      message: `${shown}: ${problem.message.split("\n")[0]}`,
      hint: USAGE,
    });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch {
    throw new BakeError({
      code: "var-file-invalid",
      message: `${shown} expands YAML aliases too many times`,
      hint: "write the values out instead of using aliases",
    });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new BakeError({
      code: "var-file-invalid",
      message: `${shown} is not a mapping of variable names to values`,
      hint: "write one NAME: VALUE per line, such as app_version: 2.5.0",
    });
  }
  return value as Record<string, unknown>;
}
