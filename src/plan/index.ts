/**
 * `@bakehq/bake/plan`: the pure compiler. {@link compile} turns a recipe and its context into a deterministic
 * {@link BuildPlan}, synchronously and without I/O.
 *
 * Importing this entry reads no file and starts no process. Two functions read files, and load the code that does
 * only when called: {@link gatherInputs} (walks and hashes the recipe's copy sources) and {@link planRecipe}
 * (reads the recipe and its var files, then runs the whole pipeline).
 *
 * @module @bakehq/bake/plan
 */
import type * as Inputs from "./inputs.js";
import type * as PlanRecipe from "./plan-recipe.js";

export { canonicalJson } from "../util/canonical-json.js";
export { layerCacheKey, layerCacheKeys } from "./cache-key.js";
export { type CompileContext, compile } from "./compile.js";
export { DRIVER_IDS, type DriverId } from "./driver-ids.js";
export type { RecipeInputs } from "./inputs.js";
export type { PlannedRecipe, PlanRecipeOptions } from "./plan-recipe.js";
export { revealEnv, revealPlanString, type SecretValues } from "./secrets.js";
export type * from "./types.js";

/**
 * Walk and hash a recipe's copy sources: the only I/O before {@link compile}. Reads files under the recipe's root.
 *
 * @throws BakeError (exit code 2) for a copy source that is missing or leaves the recipe's root.
 *
 * @function
 */
export const gatherInputs: typeof Inputs.gatherInputs = async (...args) =>
  (await import("./inputs.js")).gatherInputs(...args);

/**
 * Load, validate and compile a recipe file, as `bake plan` does: `loadRecipeOrThrow`, `resolveVars`,
 * {@link gatherInputs}, then {@link compile}. Reads the recipe, its var files and its copy sources.
 *
 * @throws BakeError (exit code 2) for an invalid recipe, a bad variable, or a missing copy source.
 *
 * @function
 */
export const planRecipe: typeof PlanRecipe.planRecipe = async (...args) =>
  (await import("./plan-recipe.js")).planRecipe(...args);
