/**
 * `@bakehq/bake`: every entry point in one import, for convenience. The same functions and types come from
 * `@bakehq/bake/recipe`, `/plan`, `/manifest` and `/run`; importing the root loads only the light parts of each
 * (code that reads files, starts processes or talks to a store loads on the first call). The one exception is
 * `validateRecipe`, which is synchronous: import it from `@bakehq/bake/recipe`.
 *
 * @module @bakehq/bake
 */
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
export * from "./manifest/index.js";
export * from "./plan/index.js";
// Not ./recipe/index.js: its synchronous validateRecipe would load the YAML parser and the schema validator.
export * from "./recipe/lazy-api.js";
export * from "./run/index.js";
