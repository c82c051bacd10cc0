import { open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Diagnostic } from "./diagnostics.js";
import { RecipeInvalidError } from "./invalid-error.js";
import { normalizeRecipe } from "./normalize.js";
import { MAX_RECIPE_BYTES, parseRecipeText, tooLarge } from "./parse.js";
import { RULES, type RuleContext } from "./rules/index.js";
import { schemaDiagnostics } from "./schema/errors.js";
import { schemaErrors } from "./schema/validate.js";
import { diagnosticAt } from "./source.js";
import type { Recipe } from "./types.js";
import type { WrittenRecipe } from "./written.js";

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
 */
export async function loadRecipe(file: string, options: { cwd?: string } = {}): Promise<RecipeResult> {
  const cwd = options.cwd ?? process.cwd();
  const path = resolve(cwd, file);
  let text: string;
  try {
    const bytes = await readAtMost(path, MAX_RECIPE_BYTES + 1);
    if (bytes.length > MAX_RECIPE_BYTES) return { errors: [tooLarge(file, bytes.length)], warnings: [] };
    text = bytes.toString("utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      errors: [
        {
          code: "recipe-unreadable",
          message:
            code === "ENOENT"
              ? `no recipe at ${file}`
              : code === "EISDIR"
                ? `${file} is a directory`
                : `cannot read ${file} (${code ?? "unknown error"})`,
          hint:
            code === "EISDIR"
              ? `pass the recipe file itself, such as ${file.replace(/\/?$/, "/recipe.yaml")}`
              : "pass the path of a recipe file; `bake init` writes one",
        },
      ],
      warnings: [],
    };
  }
  return validateRecipe(text, { file, cwd });
}

// Reads no more than `limit` bytes, so a huge file or an endless device cannot exhaust memory.
async function readAtMost(path: string, limit: number): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(limit);
    let filled = 0;
    while (filled < limit) {
      const { bytesRead } = await handle.read(buffer, filled, limit - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/**
 * Validate recipe text without reading it from disk (the `copy` rules still look at the files beside it).
 *
 * @param options.file - the recipe's path, used in diagnostics and as the root for `copy` sources.
 * @param options.cwd - directory a relative `file` is resolved against. @default process.cwd()
 */
export function validateRecipe(text: string, options: { file: string; cwd?: string }): RecipeResult {
  const absolute = resolve(options.cwd ?? process.cwd(), options.file);
  const parsed = parseRecipeText(text.replace(/^\uFEFF/, ""), options.file);
  const warnings = [...parsed.warnings];
  if (parsed.errors.length > 0 || parsed.source === undefined) return { errors: parsed.errors, warnings };
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
  if (structural.length > 0) return { errors: schemaDiagnostics(source, value, structural), warnings };
  const ctx: RuleContext = {
    source,
    recipe: value as WrittenRecipe,
    root: dirname(absolute),
    errors: [],
    warnings,
  };
  for (const rule of RULES) rule(ctx);
  if (ctx.errors.length > 0) return { errors: ctx.errors, warnings };
  const recipe = normalizeRecipe(ctx.recipe, { source, file: absolute, root: ctx.root });
  return { recipe, errors: [], warnings };
}

/**
 * {@link loadRecipe}, throwing when the recipe has errors.
 *
 * @throws BakeError with code `recipe-invalid` (exit 2) whose `detail` renders every error.
 */
export async function loadRecipeOrThrow(
  file: string,
  options: { cwd?: string } = {},
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
