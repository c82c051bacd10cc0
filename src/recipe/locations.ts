import type { SourceLocation } from "../errors.js";

/** A path into a written recipe, as JSON pointer segments (`["layers", 0, "name"]`). */
type RecipePath = (string | number)[];

/**
 * Finds where a part of a recipe is written, by its path in the written recipe (`["layers", 0, "steps", 1]`):
 * its value, or with `key: true` the key that introduces it.
 */
export type RecipeLocator = (path: RecipePath, options?: { key?: boolean }) => SourceLocation | undefined;

// Each recipe the loader made carries its locator under this symbol, as a non-enumerable property: a Recipe stays
// plain data (JSON, spreads, structuredClone and deep equality leave it out, so a copy has no positions) and the
// document is freed with the recipe. Not a WeakMap: a long-lived WeakMap holding short-lived recipes keeps each
// recipe and its whole parsed source alive through V8's minor collections, which made loading a thousand recipes
// spend a fifth of its time in GC. This module imports nothing at run time, so the compiler can ask for positions
// without loading the YAML parser.
const LOCATOR = Symbol("bake.recipeLocator");

/**
 * Remembers where `recipe`'s parts are written, for errors found later (by the compiler). A front end without a
 * parsed document may pass a locator that parses on demand.
 */
export function rememberLocations(recipe: object, locate: RecipeLocator): void {
  Object.defineProperty(recipe, LOCATOR, { value: locate, configurable: true });
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
  // Own property only: an object made with the recipe as its prototype is not the loaded recipe.
  const locate = Object.hasOwn(recipe, LOCATOR)
    ? (recipe as { [LOCATOR]?: RecipeLocator })[LOCATOR]
    : undefined;
  return locate?.(path, options);
}
