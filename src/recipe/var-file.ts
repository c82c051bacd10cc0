import { BakeError } from "../errors.js";
import { decodeUtf8 } from "./encoding.js";
import type { LinePositions } from "./line-starts.js";
import { checkShape, MAX_DEPTH, MAX_RECIPE_BYTES } from "./parse.js";
import { readSourceFile } from "./read-source.js";
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
    // A var file holds secrets: its errors say where, never what is written there (no excerpt).
    const { message, hint, line, col } = decoded.problem;
    throw new BakeError({
      code: "var-file-invalid",
      message: `var file: ${message}`,
      location: { file: shown, line, col },
      hint,
    });
  }
  const text = decoded.text;
  // checkShape reads the nodes through yaml(), so load the module there rather than import it here.
  await loadYaml();
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    uniqueKeys: true,
    prettyErrors: false,
    logLevel: "error",
    lineCounter: lines,
  });
  const [problem] = doc.errors;
  const tooDeep = problem === undefined ? checkShape(doc.contents).tooDeep : undefined;
  if ((problem && /call stack/i.test(problem.message)) || tooDeep) {
    throw new BakeError({
      code: "var-file-invalid",
      message: `${shown} nests lists and mappings more than ${MAX_DEPTH} levels deep`,
      hint: "a var file holds NAME: VALUE lines, one level deep",
    });
  }
  if (problem) throw yamlError({ problem, text, lines, shown });
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

// yaml's messages may quote the file (`Invalid escape sequence \q`, an unexpected token's text), and a var file
// holds secrets: each problem is said in bake's words, at its file:line:col, without the text found there.
const YAML_PROBLEMS: Record<string, { message: string; hint: string }> = {
  DUPLICATE_KEY: {
    message: "a key appears twice in the same mapping",
    hint: "set each variable once in a file (a later --var-file overrides an earlier one)",
  },
  MULTIPLE_DOCS: {
    message: "the file holds more than one YAML document",
    hint: "a var file is one mapping of NAME: VALUE lines: remove the `---` separator and what follows",
  },
  BAD_DQ_ESCAPE: {
    message: "a double-quoted value holds an invalid escape sequence",
    hint: "write \\\\ for a backslash, or single-quote the value ('...'), where a backslash is literal",
  },
  TAB_AS_INDENT: {
    message: "a tab is used for indentation",
    hint: "indent with spaces: YAML does not allow tabs",
  },
  MISSING_CHAR: {
    message: "a `,`, `:` or closing bracket is missing",
    hint: "check the brackets and commas of this value",
  },
};

function yamlError(options: {
  problem: { code: string; message: string; pos: [number, number] };
  text: string;
  lines: LinePositions;
  shown: string;
}): BakeError {
  const { problem, text, lines, shown } = options;
  let offset = problem.pos[0];
  let said = YAML_PROBLEMS[problem.code] ?? {
    message: "this is not valid YAML",
    hint: `${USAGE}; check the indentation and quoting of this line`,
  };
  if (problem.code === "MISSING_CHAR" && /map values/.test(problem.message)) {
    said = {
      message: "this line is not a NAME: VALUE pair",
      hint: "write NAME: VALUE, and indent or quote a value that runs over several lines",
    };
  }
  const quote = problem.code === "MISSING_CHAR" ? /closing (["'])?quote/.exec(problem.message) : null;
  if (quote) {
    // yaml reports an unclosed quote where the text ends; the quote that opened it is the place to fix.
    const mark = quote[1] ?? '"';
    const opening = text.lastIndexOf(mark, Math.max(0, offset - 1));
    if (opening !== -1) offset = opening;
    said = {
      message: "this quoted value is never closed",
      hint: `add the closing ${mark} at the end of the value`,
    };
  }
  const { line, col } = lines.linePos(Math.min(offset, text.length));
  return new BakeError({
    code: "var-file-invalid",
    message: `var file: ${said.message}`,
    location: { file: shown, line, col },
    hint: said.hint,
  });
}
