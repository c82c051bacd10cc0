/**
 * The recipe API without the synchronous {@link validateRecipe}: what the package root re-exports. Nothing here
 * loads the YAML parser or the schema validator before a function is called.
 */
import type * as Load from "./load.js";
import type * as Vars from "./vars.js";

export type { Style } from "../util/style.js";
export { type Diagnostic, renderDiagnostics } from "./diagnostics.js";
export { RecipeInvalidError } from "./invalid-error.js";
export type { RecipeResult, ValidateOptions } from "./load.js";
export type * from "./types.js";
export { VarInvalidError } from "./var-invalid-error.js";
export type { ResolvedVars, VarProblem, VarSources } from "./vars.js";
export type * from "./written.js";

/**
 * Read a recipe file and validate it: YAML, then the JSON Schema, then bake's semantic rules.
 * Never throws for a bad recipe: every problem is a `Diagnostic` pointing at `file:line:col`.
 *
 * @param file - the recipe, absolute or relative to `options.cwd`; diagnostics name it as given.
 * @param options - `cwd` (default `process.cwd()`) and an abort `signal`.
 * @returns `recipe` exactly when `errors` is empty, and the warnings either way.
 *
 * @function
 */
export const loadRecipe: typeof Load.loadRecipe = async (...args) =>
  (await import("./load.js")).loadRecipe(...args);

/**
 * {@link loadRecipe}, throwing when the recipe has errors.
 *
 * @throws BakeError `recipe-invalid` (exit code 2), whose `detail` renders every error.
 *
 * @function
 */
export const loadRecipeOrThrow: typeof Load.loadRecipeOrThrow = async (...args) =>
  (await import("./load.js")).loadRecipeOrThrow(...args);

/**
 * Resolve every variable of a recipe from its sources (`--var` pairs, var files, `BAKE_VAR_<NAME>`, defaults),
 * typed and checked against `enum` and `pattern`. Secret values come back apart, in `secrets`.
 *
 * @throws BakeError `var-invalid` (exit code 2) naming each missing or bad value; secret values are never shown.
 *
 * @function
 */
export const resolveVars: typeof Vars.resolveVars = async (...args) =>
  (await import("./vars.js")).resolveVars(...args);
