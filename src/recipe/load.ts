import { dirname, resolve } from "node:path";
import type { Diagnostic } from "./diagnostics.js";
import { decodeUtf8 } from "./encoding.js";
import { encodingExcerpt } from "./encoding-excerpt.js";
import { RecipeInvalidError } from "./invalid-error.js";
import { rememberLocations } from "./locations.js";
import { normalizeRecipe } from "./normalize.js";
import { MAX_RECIPE_BYTES, type ParseResult, parseRecipeFast, parseRecipeText, tooLarge } from "./parse.js";
import { type ReadProblem, readSourceFile } from "./read-source.js";
import { RULES, type RuleContext } from "./rules/index.js";
import { schemaDiagnostics } from "./schema/errors.js";
import { pruneBroken } from "./schema/prune.js";
import { schemaErrors } from "./schema/validate.js";
import { diagnosticAt, locationAt, offsetOf } from "./source.js";
import { rememberSourceBytes } from "./source-bytes.js";
import type { Recipe } from "./types.js";
import type { WrittenRecipe } from "./written.js";
import { withYaml } from "./yaml-lazy.js";

/** The outcome of loading a recipe: `recipe` is set exactly when `errors` is empty. */
export interface RecipeResult {
  recipe?: Recipe;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/**
 * Read a recipe file and validate it: YAML, then the JSON Schema, then bake's semantic rules.
 * Never throws for a bad recipe; every problem is a {@link Diagnostic} pointing at `file:line:col`.
 *
 * @param file - the recipe, absolute or relative to `cwd`; diagnostics name it as given.
 * @param options.cwd - directory `file` is relative to. @default process.cwd()
 * @param options.signal - aborts the read (the promise rejects with the signal's reason).
 */
export async function loadRecipe(
  file: string,
  options: { cwd?: string; signal?: AbortSignal } = {},
): Promise<RecipeResult> {
  const cwd = options.cwd ?? process.cwd();
  const read = await readSourceFile(resolve(cwd, file), {
    shown: file,
    limit: MAX_RECIPE_BYTES,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if ("problem" in read) return { errors: [readDiagnostic(file, read.problem)], warnings: [] };
  const decoded = decodeUtf8(read.bytes);
  if ("problem" in decoded) {
    const { message, hint, line, col } = decoded.problem;
    // Secret defaults are masked from parsed text only: the excerpt is left out where one could be written.
    const excerpt = await encodingExcerpt(read.bytes, decoded.problem);
    const diagnostic: Diagnostic = {
      code: "recipe-encoding",
      severity: "error",
      message,
      hint,
      location: { file, line, col },
      ...(excerpt === undefined ? {} : { excerpt }),
    };
    return { errors: [diagnostic], warnings: [] };
  }
  const text = decoded.text;
  // Without yaml when the fast front end reads the recipe and finds nothing wrong: the common case, and the
  // cheapest start for `bake validate` and `bake build`.
  const result = await withYaml(() => validateText(text, { file, cwd }));
  if (result.recipe) rememberSourceBytes(result.recipe, read.bytes);
  return result;
}

// The diagnostic for a recipe that cannot be read at all.
function readDiagnostic(file: string, problem: ReadProblem): Diagnostic {
  const hints: Record<ReadProblem["reason"], string> = {
    missing: "pass the path of a recipe file; `bake init` writes one",
    directory: `pass the recipe file itself, such as ${file.replace(/\/?$/, "/recipe.yaml")}`,
    "not-regular": "bake reads a recipe only from a regular file: save it to one first",
    "too-large": "move large content into files next to the recipe and use `copy`",
    unreadable: "pass the path of a recipe file; `bake init` writes one",
  };
  const message =
    problem.reason === "missing"
      ? `no recipe at ${file}`
      : problem.reason === "too-large"
        ? tooLarge(file, problem.size ?? MAX_RECIPE_BYTES + 1).message
        : problem.message;
  const code =
    problem.reason === "too-large"
      ? "recipe-too-large"
      : problem.reason === "not-regular"
        ? "recipe-not-a-file"
        : "recipe-unreadable";
  const location = problem.reason === "too-large" ? { location: { file, line: 1, col: 1 } } : {};
  return { code, severity: "error", message, hint: hints[problem.reason], ...location };
}

/** How `validateRecipe` (./validate-recipe.ts) checks a recipe. */
export interface ValidateOptions {
  /** The recipe's path: diagnostics name it as given, and its directory is the root of `copy` sources. */
  file: string;
  /** The directory a relative `file` is resolved against. @default process.cwd() */
  cwd?: string;
  /**
   * Look at the filesystem: check that each `copy` source exists and does not leave the recipe's directory
   * through a symlink. Turn it off to validate a recipe away from its files (an editor, a service); the checks
   * that need no disk (absolute paths, `..`, variables in a source) still run. @default true
   */
  checkFiles?: boolean;
}

/** {@link ValidateOptions}, and whether diagnostics keep positions in the text (an object's JSON has none). */
export type TextOptions = ValidateOptions & { positions?: boolean };

/**
 * Checks recipe text. Reads yaml's nodes through ./yaml-lazy.ts: call it with yaml provided, or through
 * `withYaml`, which loads yaml and checks again when the text needs it.
 */
export function validateText(text: string, options: TextOptions): RecipeResult {
  const clean = text.replace(/^\uFEFF/, "");
  const fast = parseRecipeFast(clean, options.file);
  if (fast !== undefined) {
    const result = checkParsed(fast, options);
    // Errors are rare and read by people: they come from yaml's own nodes, exactly as without the fast path.
    if (result.errors.length === 0) return result;
  }
  return checkParsed(parseRecipeText(clean, options.file), options);
}

// The schema and the semantic rules over a parsed recipe, then normalisation when nothing is wrong.
function checkParsed(parsed: ParseResult, options: TextOptions): RecipeResult {
  const absolute = resolve(options.cwd ?? process.cwd(), options.file);
  const warnings = [...parsed.warnings];
  if (parsed.errors.length > 0 || parsed.source === undefined) {
    return { errors: parsed.errors.sort(byPosition), warnings: warnings.sort(byPosition) };
  }
  const { source, value } = parsed;
  if (value === null || value === undefined) {
    const errors = [
      diagnosticAt(source, 0, {
        code: "recipe-empty",
        message: "the recipe is empty",
        hint: "start from a template: `bake init`",
      }),
    ];
    return { errors, warnings };
  }
  const structural = schemaErrors(value);
  const errors = schemaDiagnostics(source, value, structural);
  // Semantic rules run even on a structurally broken recipe, on the parts the schema found sound, so one run
  // reports every problem.
  const usable = pruneBroken(value, structural);
  if (usable !== undefined) {
    const ctx: RuleContext = {
      source,
      recipe: usable.recipe as unknown as WrittenRecipe,
      root: dirname(absolute),
      checkFiles: options.checkFiles ?? true,
      errors,
      warnings,
    };
    for (const { rule, reads } of RULES) {
      if (!reads.some((key) => usable.broken.has(key))) rule(ctx);
    }
  }
  errors.sort(byPosition);
  warnings.sort(byPosition);
  if (errors.length > 0) return { errors, warnings };
  const recipe = normalizeRecipe(value as WrittenRecipe, { source, file: absolute, root: dirname(absolute) });
  // The compiler points its own errors at the recipe's text through this.
  if (options.positions !== false) {
    rememberLocations(recipe, (path, at) => locationAt(source, offsetOf(source, path, at)));
  }
  return { recipe, errors: [], warnings };
}

// Diagnostics read top to bottom, as the file does; the sort is stable, so equal positions keep their order.
function byPosition(a: Diagnostic, b: Diagnostic): number {
  const left = a.location;
  const right = b.location;
  if (left === undefined || right === undefined) return (left ? 0 : 1) - (right ? 0 : 1);
  return (
    left.file.localeCompare(right.file) ||
    left.line - right.line ||
    left.col - right.col ||
    (a.end?.line ?? 0) - (b.end?.line ?? 0) ||
    (a.end?.col ?? 0) - (b.end?.col ?? 0)
  );
}

/**
 * {@link loadRecipe}, throwing when the recipe has errors.
 *
 * @throws BakeError with code `recipe-invalid` (exit 2) whose `detail` renders every error.
 */
export async function loadRecipeOrThrow(
  file: string,
  options: { cwd?: string; signal?: AbortSignal } = {},
): Promise<{ recipe: Recipe; warnings: Diagnostic[] }> {
  const result = await loadRecipe(file, options);
  if (result.recipe === undefined || result.errors.length > 0) {
    throw recipeInvalid(file, result.errors);
  }
  return { recipe: result.recipe, warnings: result.warnings };
}

/** The error thrown for a recipe with errors: one summary line, every diagnostic in `detail`. */
export function recipeInvalid(file: string, errors: Diagnostic[]): RecipeInvalidError {
  return new RecipeInvalidError(file, errors);
}
