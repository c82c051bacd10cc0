import { BakeError } from "../errors.js";
import { VAR_REFERENCE } from "../recipe/interpolation.js";
import type { PlanString } from "./types.js";

/** Secret values by variable name, supplied at execution time and never written anywhere. */
export type SecretValues = Readonly<Record<string, string>>;

/** Turns a plan string into the value a step sees, filling in secret templates. */
export function revealPlanString(value: PlanString, secrets: SecretValues): string {
  if (typeof value === "string") return value;
  return value.secret.replace(VAR_REFERENCE, (_match, name: string) => {
    const secret = Object.hasOwn(secrets, name) ? secrets[name] : undefined;
    if (secret === undefined) {
      throw new BakeError({
        code: "secret-missing",
        message: `secret variable "${name}" has no value`,
        hint: `pass it with --var ${name}=..., --var-file, or the BAKE_VAR_${name} environment variable`,
      });
    }
    return secret;
  });
}

/** Reveals every value of an env map. */
export function revealEnv(
  env: Readonly<Record<string, PlanString>>,
  secrets: SecretValues,
): Record<string, string> {
  // fromEntries keeps every key as data, `__proto__` included.
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, revealPlanString(value, secrets)]),
  );
}
