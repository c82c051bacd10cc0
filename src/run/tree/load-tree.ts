import { relative } from "node:path";
import { parseParent } from "../../plan/parent.js";
import type { Diagnostic } from "../../recipe/diagnostics.js";
import { RecipeInvalidError } from "../../recipe/invalid-error.js";
import { loadRecipe } from "../../recipe/load.js";
import { parseRecipeText } from "../../recipe/parse.js";
import { excerptAt, locationAt, offsetOf, type RecipeSource } from "../../recipe/source.js";
import { loadYaml } from "../../recipe/yaml-lazy.js";
import { readFile } from "../../util/fs-async.js";
import type { TreeRecipe } from "./graph.js";

/**
 * Loads and validates every recipe of a tree. All invalid recipes are reported together, each at `file:line:col`.
 *
 * @throws BakeError with code `recipe-invalid` (exit 2) when any recipe has errors.
 */
export async function loadTreeRecipes(
  paths: readonly string[],
  options: { cwd: string },
): Promise<TreeRecipe[]> {
  const errors: Diagnostic[] = [];
  const recipes: TreeRecipe[] = [];
  for (const path of paths) {
    const file = relative(options.cwd, path) || path;
    const result = await loadRecipe(path, { cwd: options.cwd });
    if (result.recipe === undefined || result.errors.length > 0) {
      // Diagnostics name the file as it was given to loadRecipe; show it relative to where bake runs.
      errors.push(...result.errors.map((diag) => withFile(diag, file)));
      continue;
    }
    const { recipe } = result;
    // parseRecipeText reads with yaml, which loadRecipe loads only when a recipe needs it.
    await loadYaml();
    const source = parseRecipeText(await readFile(path, "utf8"), file).source as RecipeSource;
    recipes.push({
      file,
      path,
      lineage: recipe.name,
      driver: recipe.target.driver,
      vars: Object.keys(recipe.vars),
      parent: parseParent(recipe.from, recipe.source.root),
      at: { name: position(source, ["name"]), from: position(source, ["from"]) },
    });
  }
  if (errors.length > 0) {
    const count =
      paths.length === 1 ? "the recipe" : `${new Set(errors.map((e) => e.location?.file)).size} recipes`;
    throw new RecipeInvalidError(
      paths.length === 1 ? (paths[0] ?? "") : "",
      errors,
      `${count} of this build ${count === "the recipe" ? "has" : "have"} errors`,
    );
  }
  return recipes;
}

function position(source: RecipeSource, path: string[]): Pick<Diagnostic, "location" | "excerpt"> {
  const offset = offsetOf(source, path);
  return { location: locationAt(source, offset), excerpt: excerptAt(source, offset) };
}

function withFile(diag: Diagnostic, file: string): Diagnostic {
  return diag.location ? { ...diag, location: { ...diag.location, file } } : diag;
}
