/**
 * bake's programmatic API. The compiler is pure: `loadRecipe` and `validateRecipe` read and check,
 * `compile` turns a recipe and its context into a deterministic `BuildPlan`.
 */

export type * from "./drivers/driver.js";
export type { BuildEvent, Reporter } from "./drivers/events.js";
export { emitPackerTemplates } from "./drivers/packer/emit.js";
export {
  BAKE_ERROR_CODES,
  BakeError,
  type BakeErrorCode,
  BuildFailedError,
  ExitCode,
  InterruptedError,
  isBakeError,
  type SourceLocation,
} from "./errors.js";
export { checkManifest, type FsckProblem, type FsckReport } from "./manifest/fsck.js";
export {
  DEFAULT_MANIFEST_FILE,
  displayLocation,
  isStoreLocation,
  type ManifestLocation,
  manifestPath,
  parseLocation,
} from "./manifest/location.js";
export {
  type Ancestry,
  type Manifest,
  manifestFromText,
  type OpenOptions,
  openManifest,
  type TextOptions,
} from "./manifest/manifest.js";
export type * from "./manifest/types.js";
export { layerCacheKey, layerCacheKeys } from "./plan/cache-key.js";
export { type CompileContext, compile } from "./plan/compile.js";
export { gatherInputs, type RecipeInputs } from "./plan/inputs.js";
export { type PlannedRecipe, type PlanRecipeOptions, planRecipe } from "./plan/plan-recipe.js";
export { revealEnv, revealPlanString, type SecretValues } from "./plan/secrets.js";
export type * from "./plan/types.js";
export { type Diagnostic, renderDiagnostics } from "./recipe/diagnostics.js";
export { RecipeInvalidError } from "./recipe/invalid-error.js";
export {
  loadRecipe,
  loadRecipeOrThrow,
  type RecipeResult,
  type ValidateOptions,
  validateRecipe,
} from "./recipe/load.js";
export type * from "./recipe/types.js";
export {
  type ResolvedVars,
  resolveVars,
  VarInvalidError,
  type VarProblem,
  type VarSources,
} from "./recipe/vars.js";
export type * from "./recipe/written.js";
export { type ExecuteOptions, type ExecuteResult, execute } from "./run/execute.js";
export type { RunnerManifest } from "./run/manifest-port.js";
export { createReporter, type ReporterMode, reporterMode } from "./run/reporters/index.js";
export { canonicalJson } from "./util/canonical-json.js";
