import type { SourceLocation } from "../errors.js";

/** A path into a written recipe, as JSON pointer segments (`["layers", 0, "name"]`). */
type RecipePath = (string | number)[];

/**
 * Finds where a part of a recipe is written, by its path in the written recipe (`["layers", 0, "steps", 1]`):
 * its value, or with `key: true` the key that introduces it.
 */
export type RecipeLocator = (path: RecipePath, options?: { key?: boolean }) => SourceLocation | undefined;

// Each recipe the loader made, with where its parts are written. A WeakMap keeps positions off the recipe object,
// so a Recipe stays plain data (it serialises and compares as before) and the document is freed with the recipe.
// This module imports nothing at run time, so the compiler can ask for positions without loading the YAML parser.
const LOCATORS = new WeakMap<object, RecipeLocator>();

/**
 * Remembers where `recipe`'s parts are written, for errors found later (by the compiler). A front end without a
 * parsed document may pass a locator that parses on demand.
 */
export function rememberLocations(recipe: object, locate: RecipeLocator): void {
  LOCATORS.set(recipe, locate);
}

/**
 * Where the part of `recipe` at `path` is written, when the recipe came from text through the loader (a copy
 * of the object, or a recipe built in code, has no positions).
 */
export function recipeLocation(
  recipe: object,
  path: RecipePath,
  options: { key?: boolean } = {},
): SourceLocation | undefined {
  return LOCATORS.get(recipe)?.(path, options);
}
