import { resolve } from "node:path";
import { BakeError } from "../errors.js";
import { nearest } from "../util/nearest.js";
import type { Recipe, VarSpec, VarValue } from "./types.js";
import { fullMatch, NUL_HINT, NUL_REASON } from "./var-check.js";
import { readVarFile } from "./var-file.js";
import { VarInvalidError } from "./var-invalid-error.js";

export { VarInvalidError } from "./var-invalid-error.js";

/**
 * Where variable values come from. Precedence, highest first: `cliVars`, then `varFiles` (a later file wins
 * over an earlier one), then `BAKE_VAR_<NAME>` in `env`, then the variable's default.
 */
export interface VarSources {
  /** `NAME=VALUE` pairs from `--var`. */
  cliVars: string[];
  /** YAML or JSON files from `--var-file` (mappings of name to value), relative to `cwd`. */
  varFiles: string[];
  /** Read for `BAKE_VAR_<NAME>`, with NAME as declared or in upper case. */
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Aborts reading var files. */
  signal?: AbortSignal;
  /** Leave a secret without a value unresolved instead of failing, as `bake plan` and `bake validate` may. @default false */
  allowMissingSecrets?: boolean;
}

/** Variable values, typed. Secret values are kept apart (as strings) so they never reach a plan. */
export interface ResolvedVars {
  values: Record<string, VarValue>;
  secrets: Record<string, string>;
  /** Secret variables whose value came from `--var`, which puts it in bake's own command line. */
  secretsOnCommandLine: string[];
}

/** A problem with one variable's value; never holds a secret value. */
export interface VarProblem {
  name: string;
  message: string;
  hint?: string;
  /** No value was given and there is no default. */
  missing: boolean;
}

/** Values gathered from every source, with every problem found on the way. */
export interface CollectedVars extends ResolvedVars {
  problems: VarProblem[];
}

/**
 * Resolve every variable of a recipe from its sources, typed and checked against `enum` and `pattern`.
 *
 * @throws BakeError `var-invalid` (exit 2) naming each missing or bad value; secret values are never shown.
 */
export async function resolveVars(recipe: Recipe, sources: VarSources): Promise<ResolvedVars> {
  const { values, secrets, secretsOnCommandLine, problems } = await collectVars(recipe, sources);
  if (problems.length > 0) throw varError(problems);
  return { values, secrets, secretsOnCommandLine };
}

/** The error for a list of variable problems. */
export function varError(problems: VarProblem[]): VarInvalidError {
  return new VarInvalidError(problems);
}

interface Given {
  value: unknown;
  /** Where the value came from, for messages: `--var`, a file name, or `BAKE_VAR_X`. */
  origin: string;
}

/** Like {@link resolveVars}, but returns the problems instead of throwing (for `bake validate`). */
export async function collectVars(recipe: Recipe, sources: VarSources): Promise<CollectedVars> {
  const problems: VarProblem[] = [];
  const given = new Map<string, Given>();
  const declared = Object.keys(recipe.vars);
  const unknown = (name: string, origin: string) => {
    const guess = nearest(name, declared);
    problems.push({
      name,
      missing: false,
      message: `${origin} sets \`${name.length > 80 ? `${name.slice(0, 60)}…` : name}\`, which the recipe does not declare`,
      hint: guess
        ? `did you mean \`${guess}\`?`
        : declared.length > 0
          ? `declared variables: ${declared.join(", ")}`
          : "the recipe declares no variables",
    });
  };
  // Lowest precedence first, so later sources overwrite earlier ones.
  for (const name of declared) {
    for (const key of [`BAKE_VAR_${name.toUpperCase()}`, `BAKE_VAR_${name}`]) {
      const value = sources.env[key];
      if (value !== undefined) given.set(name, { value, origin: key });
    }
  }
  for (const file of sources.varFiles) {
    const entries = await readVarFile(
      resolve(sources.cwd, file),
      file,
      sources.signal ? { signal: sources.signal } : {},
    );
    for (const [name, value] of Object.entries(entries)) {
      if (!Object.hasOwn(recipe.vars, name)) unknown(name, file);
      else given.set(name, { value, origin: file });
    }
  }
  for (const pair of sources.cliVars) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      throw new BakeError({
        code: "usage",
        message: `--var expects NAME=VALUE, got "${eq === 0 ? "=..." : pair.replace(/^(.{20}).+$/, "$1...")}"`,
        hint: "for example: --var app_version=2.5.0",
      });
    }
    const name = pair.slice(0, eq);
    if (!Object.hasOwn(recipe.vars, name)) unknown(name, "--var");
    else given.set(name, { value: pair.slice(eq + 1), origin: "--var" });
  }

  // Collected as entries and made objects by fromEntries, which defines own properties: a variable named
  // `__proto__` stays a value instead of setting the object's prototype.
  const values: [string, VarValue][] = [];
  const secrets: [string, string][] = [];
  for (const [name, spec] of Object.entries(recipe.vars)) {
    const source = given.get(name);
    if (source === undefined && spec.default === undefined) {
      if (spec.secret && sources.allowMissingSecrets) continue;
      problems.push({
        name,
        missing: true,
        message: `variable \`${name}\` has no value`,
        hint: `give it with --var ${name}=VALUE, in a --var-file, or as BAKE_VAR_${name.toUpperCase()}=VALUE${spec.secret ? " (preferred for secrets)" : ""}`,
      });
      continue;
    }
    const checked =
      source === undefined ? { value: spec.default as VarValue } : checkValue(name, spec, source);
    if ("problem" in checked) {
      problems.push(checked.problem);
      continue;
    }
    if (spec.secret) secrets.push([name, String(checked.value)]);
    else values.push([name, checked.value]);
  }
  const secretsOnCommandLine = secrets
    .map(([name]) => name)
    .filter((name) => given.get(name)?.origin === "--var");
  return {
    values: Object.fromEntries(values),
    secrets: Object.fromEntries(secrets),
    secretsOnCommandLine,
    problems,
  };
}

// Parse and check one given value against its declaration; a secret's value never enters a message.
function checkValue(
  name: string,
  spec: VarSpec,
  given: Given,
): { value: VarValue } | { problem: VarProblem } {
  const what = spec.secret ? `the value given for ${name}` : `${shortJson(given.value)} for \`${name}\``;
  const fail = (reason: string, hint?: string) => ({
    problem: {
      name,
      missing: false,
      message: `${given.origin}: ${what} ${reason}`,
      ...(hint ? { hint } : {}),
    },
  });
  const parsed = parseAs(spec.type, given.value);
  if (parsed === undefined) {
    const hint =
      spec.type === "boolean"
        ? "write true or false"
        : spec.type === "number"
          ? "write a number such as 3 or 2.5"
          : undefined;
    return fail(`is not a ${spec.type}`, hint);
  }
  if (typeof parsed === "string" && parsed.includes("\0")) {
    return fail(NUL_REASON, NUL_HINT);
  }
  if (spec.enum && !spec.enum.includes(parsed)) {
    return fail(
      "is not one of the allowed values",
      `allowed: ${spec.enum.map((v) => JSON.stringify(v)).join(", ")}`,
    );
  }
  if (spec.type === "string" && spec.pattern !== undefined && !fullMatch(spec.pattern, String(parsed))) {
    return fail(`does not match the pattern ${spec.pattern}`);
  }
  return { value: parsed };
}

// A value as JSON for a message, cut short: a var file may hold a megabyte in one value.
function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 60)}…${text.slice(-10)}` : text;
}

function parseAs(type: VarSpec["type"], value: unknown): VarValue | undefined {
  if (type === "string")
    return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
      ? String(value)
      : undefined;
  if (type === "number") {
    if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
    if (typeof value !== "string" || value.trim() === "") return undefined;
    const number = Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  return undefined;
}
