import { BakeError } from "../errors.js";
import type { Diagnostic } from "../recipe/diagnostics.js";
import { loadRecipeOrThrow } from "../recipe/load.js";
import type { Recipe } from "../recipe/types.js";
import { resolveVars } from "../recipe/vars.js";
import { compile } from "./compile.js";
import { gatherInputs } from "./inputs.js";
import type { SecretValues } from "./secrets.js";
import type { BuildPlan } from "./types.js";

/** Where a recipe is planned from: the same sources `bake plan` and `bake build` read. */
export interface PlanRecipeOptions {
  /** The directory relative paths (the recipe, `--var-file`) resolve against. */
  cwd: string;
  /** The environment `BAKE_VAR_<NAME>` variables are read from. */
  env: Readonly<Record<string, string | undefined>>;
  /** `NAME=VALUE` pairs from `--var`. @default [] */
  cliVars?: string[];
  /** Files from `--var-file`. @default [] */
  varFiles?: string[];
  /** A `--target` driver override. */
  target?: string;
  /** Fail (exit 2) when a secret the plan refers to has no value, as a build must. @default false */
  requireSecrets?: boolean;
  /** Aborts reading the recipe and its var files (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
  /**
   * Called once the recipe is loaded and valid, before variables, inputs and compiling: a build starts its driver's
   * slow lookups (`Driver.prefetch`) then, so they overlap with the rest of planning.
   */
  onLoaded?: (recipe: Recipe) => void;
  /** Absolute paths in the plan instead of paths relative to the recipe's directory; see `CompileContext`. @default false */
  absolutePaths?: boolean;
}

/** A compiled plan, the secret values it needs at execution (never written anywhere), and the recipe's warnings. */
export interface PlannedRecipe {
  plan: BuildPlan;
  /** The recipe's directory, absolute: what the plan's relative paths are relative to (execute's `root`). */
  root: string;
  secrets: SecretValues;
  warnings: Diagnostic[];
}

// Shorter secrets are too likely to occur in ordinary values by chance to refuse a value that contains one.
const MIN_CONTAINED_SECRET = 8;

// A secret's value given to a plain variable as well (`--var version=$TOKEN`) would be printed into the plan.
function refuseSecretCopies(
  values: Readonly<Record<string, unknown>>,
  secrets: Readonly<Record<string, string>>,
) {
  for (const [name, value] of Object.entries(values)) {
    const text = String(value);
    for (const [secret, secretValue] of Object.entries(secrets)) {
      if (secretValue === "") continue;
      const holds =
        text === secretValue || (secretValue.length >= MIN_CONTAINED_SECRET && text.includes(secretValue));
      if (!holds) continue;
      throw new BakeError({
        code: "secret-in-vars",
        message: `the value of variable "${name}" holds the value of the secret variable "${secret}"`,
        hint: `a plain variable is printed into the plan and the record: give "${name}" another value`,
      });
    }
  }
}

/**
 * Loads, validates and compiles a recipe file: `loadRecipeOrThrow`, `resolveVars`, `gatherInputs`, `compile`.
 * @throws BakeError (exit 2) for an invalid recipe, a bad variable, or a missing copy source.
 */
export async function planRecipe(file: string, options: PlanRecipeOptions): Promise<PlannedRecipe> {
  const signal = options.signal ? { signal: options.signal } : {};
  const { recipe, warnings } = await loadRecipeOrThrow(file, { cwd: options.cwd, ...signal });
  options.onLoaded?.(recipe);
  const resolved = await resolveVars(recipe, {
    ...signal,
    cliVars: options.cliVars ?? [],
    varFiles: options.varFiles ?? [],
    env: options.env,
    cwd: options.cwd,
    // A plan carries secrets only as names, so it can be made without their values; a build cannot.
    allowMissingSecrets: options.requireSecrets !== true,
  });
  refuseSecretCopies(resolved.values, resolved.secrets);
  const inputs = await gatherInputs(recipe);
  const plan = compile(recipe, {
    vars: resolved.values,
    inputs,
    ...(options.target === undefined ? {} : { target: options.target }),
    ...(options.absolutePaths ? { absolutePaths: true } : {}),
  });
  // Only the secrets the plan refers to travel on to the runner. Own properties only, defined rather than set:
  // a secret named `__proto__` or `toString` is a value like any other.
  const secrets: Record<string, string> = {};
  for (const name of plan.secrets) {
    const value = Object.hasOwn(resolved.secrets, name) ? resolved.secrets[name] : undefined;
    if (value !== undefined) {
      Object.defineProperty(secrets, name, { value, enumerable: true, writable: true, configurable: true });
    } else if (options.requireSecrets) {
      throw new BakeError({
        code: "secret-missing",
        message: `secret variable "${name}" has no value`,
        hint: `pass it with --var ${name}=..., --var-file, or the BAKE_VAR_${name} environment variable`,
      });
    }
  }
  // bake cannot take a value back out of its own argv, which `ps` shows to every user: say so, and how to avoid it.
  const exposed = resolved.secretsOnCommandLine
    .filter((name) => Object.hasOwn(secrets, name))
    .map((name) => ({
      code: "secret-on-command-line" as const,
      severity: "warning" as const,
      message: `secret variable \`${name}\` was given with --var, so it is in bake's command line, which any user of this machine can see (ps)`,
      hint: `pass it as BAKE_VAR_${name.toUpperCase()}=VALUE in the environment, or in a --var-file`,
    }));
  return { plan, root: recipe.source.root, secrets, warnings: [...warnings, ...exposed] };
}
