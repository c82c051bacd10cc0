import type { Diagnostic } from "./diagnostics.js";
import { type RecipeResult, type ValidateOptions, validateText } from "./load.js";
import type { WrittenRecipe } from "./written.js";
import * as Yaml from "./yaml.js";
import { provideYaml } from "./yaml-lazy.js";

// Synchronous, so yaml is loaded with this module rather than on demand (./yaml-lazy.ts).
provideYaml(Yaml);

/**
 * Validate a recipe, given as YAML text or as an object (the {@link WrittenRecipe} shape, as parsed from YAML or
 * JSON), without reading the recipe from disk. Schema and semantic problems are reported together, sorted by
 * position; each diagnostic has a `severity`, a JSON-pointer `path` when it concerns one part, and, for text,
 * its `location`, `end` and source excerpt (an object has no positions).
 */
export function validateRecipe(input: string | WrittenRecipe, options: ValidateOptions): RecipeResult {
  if (typeof input === "string") return validateText(input, options);
  // An object goes through the same checks as its JSON text (JSON is YAML); the positions in that text are not
  // the caller's, so only the paths are kept.
  const result = validateText(JSON.stringify(input, null, 2) ?? "", { ...options, positions: false });
  const strip = (diag: Diagnostic): Diagnostic => {
    const { location: _location, end: _end, excerpt: _excerpt, ...rest } = diag;
    return rest;
  };
  return { ...result, errors: result.errors.map(strip), warnings: result.warnings.map(strip) };
}
