import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { BakeError } from "../errors.js";
import { type Diagnostic, renderDiagnostics } from "./diagnostics.js";
import type { Recipe } from "./types.js";

/** The outcome of loading a recipe: a `recipe` only when there are no errors. */
export interface RecipeResult {
  recipe?: Recipe;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/**
 * Read a recipe file and validate it: YAML, then the JSON Schema, then bake's semantic rules.
 * Never throws for a bad recipe; every problem is a {@link Diagnostic} with `file:line:col`.
 */
export async function loadRecipe(file: string, options: { cwd?: string } = {}): Promise<RecipeResult> {
  const path = resolve(options.cwd ?? process.cwd(), file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      errors: [
        {
          code: "recipe-unreadable",
          message: code === "ENOENT" ? `no recipe at ${path}` : `cannot read ${path} (${code ?? "error"})`,
          hint: "pass the path of a recipe.yaml; `bake init` writes one",
        },
      ],
      warnings: [],
    };
  }
  return validateRecipe(text, { file: path });
}

/**
 * Validate recipe text. `file` names the recipe (absolute, or relative to the current directory); its directory
 * is the root that `copy` sources are checked against.
 */
export function validateRecipe(_text: string, options: { file: string }): RecipeResult {
  // Placeholder until the loader lands: it rejects everything with a clear message.
  return {
    errors: [{ code: "not-implemented", message: `cannot validate ${options.file} yet` }],
    warnings: [],
  };
}

/** {@link loadRecipe}, throwing a `BakeError` (code `recipe-invalid`, exit 2) that renders every error. */
export async function loadRecipeOrThrow(
  file: string,
  options: { cwd?: string } = {},
): Promise<{ recipe: Recipe; warnings: Diagnostic[] }> {
  const result = await loadRecipe(file, options);
  if (result.recipe === undefined || result.errors.length > 0) {
    const count = result.errors.length;
    throw new BakeError({
      code: "recipe-invalid",
      message: `${file}: ${count} ${count === 1 ? "error" : "errors"} in the recipe`,
      detail: renderDiagnostics(result.errors, { color: false }),
    });
  }
  return { recipe: result.recipe, warnings: result.warnings };
}
