import path from "node:path";
import { BakeError, isBakeError, withLocation } from "../errors.js";
import { idSpecProblem } from "../recipe/ids.js";
import { recipeLocation } from "../recipe/locations.js";
import type {
  CheckSpec,
  ImageConfigSpec,
  LayerSpec,
  PublishSpec,
  Recipe,
  RolloutCheckSpec,
  StepSpec,
  TargetSpec,
  VarValue,
} from "../recipe/types.js";
import { nearest } from "../util/nearest.js";
import { DRIVER_IDS } from "./driver-ids.js";
import { child, type Field, keyOf, topField, within } from "./field.js";
import type { RecipeInputs } from "./inputs.js";
import { Interpolator } from "./interpolate.js";
import { layerInputsDigest } from "./layer-digest.js";
import { parseParent } from "./parent.js";
import { planRelative } from "./paths.js";
import { copyTitle, fileTitle, runTitle } from "./titles.js";
import type {
  BuildPlan,
  PlannedCheck,
  PlannedLayer,
  PlannedPublish,
  PlannedRolloutCheck,
  PlannedStep,
  PlanString,
} from "./types.js";

/** What `compile()` needs besides the recipe. Everything here is already resolved; compile does no I/O. */
export interface CompileContext {
  /** Values of the non-secret variables, by name. A value for a secret variable is refused (`secret-in-vars`). */
  vars: Record<string, VarValue>;
  /**
   * More names to treat as secret, besides the variables the recipe declares with `secret: true` (which are
   * always secret, whatever this says). Their values never reach the compiler. @default []
   */
  secretNames?: readonly string[];
  /** Copy-source entries and the recipe digest, from {@link gatherInputs}. */
  inputs: RecipeInputs;
  /** A `--target` override: replaces `target.driver`, keeping the options only when the driver is the same. */
  target?: string;
  /**
   * Write the recipe's file and directory, and an archive or `dir:` parent, as absolute paths, as bake did
   * before 0.2. By default they are relative to the recipe's directory, so the same recipe in two checkouts
   * compiles to the same bytes; the runner then needs that directory as `root`. @default false
   */
  absolutePaths?: boolean;
}

/**
 * Compiles a validated recipe into a build plan. Pure, synchronous and deterministic: the same recipe and
 * context always give a plan with the same `canonicalJson` bytes, wherever the recipe's checkout is. Interpolates
 * `${vars.NAME}` in plain string fields; a reference to a secret variable stays a `{ secret }` template (only in
 * env values and file content). Secret variables are those the recipe declares `secret: true`, and any in
 * `context.secretNames`.
 * @throws BakeError (exit 2) for a value given for a secret variable, an unknown variable, a secret outside
 * env/content, a bad `from`, an unknown `--target` driver, or a copy source missing from `context.inputs`. When the
 * recipe was loaded from text, the error's `location` points at the offending part.
 */
export function compile(recipe: Recipe, context: CompileContext): BuildPlan {
  const secretNames = new Set(context.secretNames ?? []);
  for (const [name, spec] of Object.entries(recipe.vars)) if (spec.secret) secretNames.add(name);
  const fill = new Interpolator({
    vars: context.vars,
    secretNames,
    locate: (path, options) => recipeLocation(recipe, path, options),
  });
  refuseSecretValues(context.vars, { secretNames, fill });
  const config =
    recipe.config === undefined
      ? undefined
      : (fill.deep(recipe.config, topField("config")) as ImageConfigSpec);
  const configUser = config?.user === undefined ? undefined : idSpecProblem(config.user, { field: "user" });
  if (configUser) throw fill.error(child(topField("config"), "user"), configUser);
  // The image config is part of the last layer's inputs: that layer's image is the one that carries it.
  const layers = recipe.layers.map((layer, index) =>
    compileLayer(layer, {
      fill,
      inputs: context.inputs,
      config: index === recipe.layers.length - 1 ? config : undefined,
      field: { label: `layers.${layer.name}`, path: ["layers", index] },
    }),
  );
  const verify = recipe.verify.map((check, index) => compileCheck(check, { fill, index }));
  // fromEntries and hasOwn: a label or variable named `__proto__` or `toString` is data like any other.
  const labels: Record<string, string> = Object.fromEntries(
    Object.entries(recipe.labels).map(([key, value]) => [
      key,
      fill.plain(value, child(topField("labels"), key)),
    ]),
  );
  const vars: Record<string, VarValue> = Object.fromEntries(
    Object.keys(recipe.vars)
      .filter((name) => Object.hasOwn(context.vars, name) && !secretNames.has(name))
      .map((name) => [name, context.vars[name] as VarValue]),
  );
  const from = topField("from");
  const absolute = context.absolutePaths === true;
  return {
    apiVersion: "bake/plan/v1",
    lineage: recipe.name,
    version: fill.plain(recipe.version, topField("version")),
    ...(recipe.description === undefined
      ? {}
      : { description: fill.plain(recipe.description, topField("description")) }),
    recipe: {
      file: absolute
        ? recipe.source.file
        : planRelative(path.relative(recipe.source.root, recipe.source.file)),
      root: absolute ? recipe.source.root : ".",
      digest: context.inputs.recipeDigest,
    },
    parent: located(fill, from, () =>
      parseParent(fill.plain(recipe.from, from), absolute ? recipe.source.root : undefined),
    ),
    target: compileTarget(recipe.target, { fill, override: context.target }),
    layers,
    verify,
    labels,
    ...(config === undefined ? {} : { config }),
    ...(recipe.retain === undefined ? {} : { retain: { keep: recipe.retain.keep } }),
    ...(recipe.rollout === undefined
      ? {}
      : {
          rollout: {
            checks: recipe.rollout.checks.map((check, index) => compileRolloutCheck(check, { fill, index })),
          },
        }),
    ...(recipe.publish?.length
      ? { publish: recipe.publish.map((entry, index) => compilePublish(entry, { fill, index })) }
      : {}),
    vars,
    secrets: fill.usedSecrets(),
  };
}

// A destination is recorded in the manifest: plain variables only, and the shape a push can take.
function compilePublish(entry: PublishSpec, options: { fill: Interpolator; index: number }): PlannedPublish {
  const { fill } = options;
  const field = child(topField("publish"), options.index);
  const toField = child(field, "to");
  const to = fill.plain(entry.to, toField);
  if (!isPushDestination(to)) {
    throw fill.error(toField, {
      code: "publish-invalid",
      message: `${toField.label} is "${to}", which is not docker://REGISTRY/REPO:TAG`,
      hint: "name the registry, the repository and a tag, such as docker://registry.example.com:5000/team/web:2.4.0",
    });
  }
  if (entry.password === undefined || entry.username === undefined) return { to };
  const passwordField = child(field, "password");
  const password = fill.secretable(entry.password, passwordField);
  if (typeof password === "string") {
    throw fill.error(passwordField, {
      code: "publish-password-not-secret",
      message: `${passwordField.label} is not a variable marked secret`,
      hint: "declare the variable with secret: true and pass its value with --var, --var-file or BAKE_VAR_NAME",
    });
  }
  return {
    to,
    credentials: { username: fill.secretable(entry.username, child(field, "username")), password },
  };
}

// docker://HOST/REPO:TAG: a registry host, a repository and a tag in its last segment; no credentials, no digest.
function isPushDestination(to: string): boolean {
  if (!to.startsWith("docker://") || /[\s@]/.test(to)) return false;
  const segments = to.slice("docker://".length).split("/");
  const last = segments.at(-1) ?? "";
  const colon = last.indexOf(":");
  return segments.length >= 2 && colon > 0 && /^[\w][\w.-]{0,127}$/.test(last.slice(colon + 1));
}

// A secret's value given as a plain variable would be printed into the plan: refuse it, without echoing it.
function refuseSecretValues(
  vars: Readonly<Record<string, VarValue>>,
  options: { secretNames: ReadonlySet<string>; fill: Interpolator },
): void {
  for (const name of Object.keys(vars)) {
    if (!options.secretNames.has(name)) continue;
    throw options.fill.error(keyOf(child(topField("vars"), name)), {
      code: "secret-in-vars",
      message: `a value was given in vars for the secret variable "${name}"`,
      hint: "pass secret values to the runner (execute's `secrets`), never to compile: a plan holds only their names",
    });
  }
}

// Runs `make`, giving a BakeError it throws the location of `field` when it has none.
function located<T>(fill: Interpolator, field: Field, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (!isBakeError(error)) throw error;
    throw withLocation(error, fill.locate(field));
  }
}

function compileTarget(
  target: TargetSpec,
  options: { fill: Interpolator; override: string | undefined },
): TargetSpec {
  const driver = options.override ?? target.driver;
  if (!(DRIVER_IDS as readonly string[]).includes(driver)) {
    const guess = nearest(driver, DRIVER_IDS);
    const field = child(topField("target"), "driver");
    const error = {
      code: "unknown-driver" as const,
      message: `unknown target driver "${driver}"`,
      hint: `${guess ? `did you mean "${guess}"? ` : ""}use one of: ${DRIVER_IDS.join(", ")}`,
    };
    // A --target override is not in the recipe: it has no place there to point at.
    throw options.override === undefined ? options.fill.error(field, error) : new BakeError(error);
  }
  const keep = driver === target.driver;
  const targetOptions = keep
    ? (options.fill.deep(target.options, topField("target")) as Record<string, unknown>)
    : {};
  return { driver, options: targetOptions };
}

function compileLayer(
  layer: LayerSpec,
  options: { fill: Interpolator; inputs: RecipeInputs; config: ImageConfigSpec | undefined; field: Field },
): PlannedLayer {
  const steps = layer.steps.map((step, index) =>
    compileStep(step, {
      fill: options.fill,
      inputs: options.inputs,
      field: child(options.field, "steps"),
      index,
    }),
  );
  return { name: layer.name, inputsDigest: layerInputsDigest(steps, options.config), steps };
}

function compileStep(
  step: StepSpec,
  options: { fill: Interpolator; inputs: RecipeInputs; field: Field; index: number },
): PlannedStep {
  const { fill } = options;
  const where = child(options.field, options.index);
  switch (step.kind) {
    case "run": {
      if (step.script !== undefined) fill.assertNoInterpolation(step.script, child(where, "run"));
      const planned = {
        kind: "run" as const,
        title: "",
        ...(step.script === undefined ? {} : { script: step.script }),
        ...(step.argv === undefined
          ? {}
          : { argv: step.argv.map((arg, i) => fill.plain(arg, child(child(where, "run"), i))) }),
        env: compileEnv(step.env, { fill, field: child(where, "env") }),
        ...optionalString("workdir", step.workdir, fill, where),
        ...idSpec("user", step.user, fill, where),
        ...(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs }),
      };
      planned.title = runTitle(planned);
      return planned;
    }
    case "copy": {
      // Messages name `steps[0].to`, as before; the path finds the value under `copy:` in the written recipe.
      const written = within(where, "copy");
      const entries = Object.hasOwn(options.inputs.copies, step.from)
        ? options.inputs.copies[step.from]
        : undefined;
      if (!entries) {
        throw fill.error(child(written, "from"), {
          code: "copy-inputs-missing",
          message: `${where.label}: no inputs were gathered for the copy source "${step.from}"`,
          hint: "call gatherInputs(recipe) and pass its result as context.inputs",
        });
      }
      const from = planRelative(step.from);
      const to = fill.plain(step.to, child(written, "to"));
      return {
        kind: "copy",
        title: copyTitle({ from: step.from, to }),
        from,
        to,
        ...(step.mode === undefined ? {} : { mode: step.mode }),
        ...idSpec("owner", step.owner, fill, written),
        entries: entries.map((entry) => ({ ...entry })),
      };
    }
    case "file": {
      const written = within(where, "file");
      const filePath = fill.plain(step.path, child(written, "path"));
      const content = fill.secretable(step.content, child(written, "content"));
      return {
        kind: "file",
        title: fileTitle({ path: filePath, content }),
        path: filePath,
        content,
        ...(step.mode === undefined ? {} : { mode: step.mode }),
        ...idSpec("owner", step.owner, fill, written),
      };
    }
  }
}

function compileCheck(check: CheckSpec, options: { fill: Interpolator; index: number }): PlannedCheck {
  const { fill } = options;
  const where = child(topField("verify"), options.index);
  const common = {
    name: fill.plain(check.name, child(where, "name")),
    retries: check.retries,
    intervalMs: check.intervalMs,
    timeoutMs: check.timeoutMs,
  };
  switch (check.kind) {
    case "run":
      if (check.script !== undefined) fill.assertNoInterpolation(check.script, child(where, "run"));
      return {
        ...common,
        kind: "run",
        ...(check.script === undefined ? {} : { script: check.script }),
        ...(check.argv === undefined
          ? {}
          : { argv: check.argv.map((arg, i) => fill.plain(arg, child(child(where, "run"), i))) }),
        env: compileEnv(check.env, { fill, field: child(where, "env") }),
        ...idSpec("user", check.user, fill, where),
        ...optionalString("workdir", check.workdir, fill, where),
      };
    case "file": {
      const written = within(where, "file");
      return {
        ...common,
        kind: "file",
        path: fill.plain(check.path, child(written, "path")),
        exists: check.exists,
        ...optionalString("contains", check.contains, fill, written),
        ...(check.mode === undefined ? {} : { mode: check.mode }),
      };
    }
    case "http": {
      const written = within(where, "http");
      return {
        ...common,
        kind: "http",
        url: fill.plain(check.url, child(written, "url")),
        status: check.status,
        ...optionalString("bodyContains", check.bodyContains, fill, written),
      };
    }
  }
}

// As a verify http check: plain variables in the name, path and body text, never a secret.
function compileRolloutCheck(
  check: RolloutCheckSpec,
  options: { fill: Interpolator; index: number },
): PlannedRolloutCheck {
  const { fill } = options;
  const where = child(child(topField("rollout"), "checks"), options.index);
  const written = within(where, "http");
  return {
    name: fill.plain(check.name, child(where, "name")),
    retries: check.retries,
    intervalMs: check.intervalMs,
    timeoutMs: check.timeoutMs,
    kind: "http",
    port: check.port,
    path: fill.plain(check.path, child(written, "path")),
    status: check.status,
    ...optionalString("bodyContains", check.bodyContains, fill, written),
  };
}

function compileEnv(
  env: Record<string, string>,
  options: { fill: Interpolator; field: Field },
): Record<string, PlanString> {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [
      key,
      options.fill.secretable(value, child(options.field, key)),
    ]),
  );
}

// `user:` and `owner:` once filled in: a numeric id the kernel cannot hold would wrap around (2^32 to root).
function idSpec<K extends "user" | "owner">(
  key: K,
  value: string | undefined,
  fill: Interpolator,
  field: Field,
): { [P in K]?: string } {
  const out = optionalString(key, value, fill, field);
  const filled = out[key];
  const problem = filled === undefined ? undefined : idSpecProblem(filled, { field: key });
  if (problem) throw fill.error(child(field, key), problem);
  return out;
}

// Spreads `{ [key]: interpolated }` when the value is set, nothing otherwise (keeps optional fields absent).
function optionalString<K extends string>(
  key: K,
  value: string | undefined,
  fill: Interpolator,
  field: Field,
): { [P in K]?: string } {
  if (value === undefined) return {};
  return { [key]: fill.plain(value, child(field, key)) } as { [P in K]?: string };
}
