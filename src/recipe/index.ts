/**
 * `@bakehq/bake/recipe`: read and validate recipes, render their diagnostics, and resolve their variables.
 *
 * Importing this entry loads the YAML parser and the recipe's schema validator, for the synchronous
 * {@link validateRecipe}; the file readers load on the first call. The package root re-exports everything
 * here except `validateRecipe`, so that importing the root stays cheap.
 *
 * @module @bakehq/bake/recipe
 */

export * from "./lazy-api.js";
export { validateRecipe } from "./validate-recipe.js";
