import path from "node:path";
import { BakeError } from "../errors.js";
import type {
  CheckSpec,
  ImageConfigSpec,
  LayerSpec,
  PublishSpec,
  Recipe,
  StepSpec,
  TargetSpec,
  VarValue,
} from "../recipe/types.js";
import { nearest } from "../util/nearest.js";
import { DRIVER_IDS } from "./driver-ids.js";
import type { RecipeInputs } from "./inputs.js";
import { assertNoInterpolation, Interpolator } from "./interpolate.js";
import { layerInputsDigest } from "./layer-digest.js";
import { parseParent } from "./parent.js";
import { copyTitle, fileTitle, runTitle } from "./titles.js";
import type {
  BuildPlan,
  PlannedCheck,
  PlannedLayer,
  PlannedPublish,
  PlannedStep,
  PlanString,
} from "./types.js";

/** What `compile()` needs besides the recipe. Everything here is already resolved; compile does no I/O. */
export interface CompileContext {
  /** Values of the non-secret variables, by name. */
  vars: Record<string, VarValue>;
  /** Names of the secret variables; their values never reach the compiler. */
  secretNames: string[];
  /** Copy-source entries and the recipe digest, from {@link gatherInputs}. */
  inputs: RecipeInputs;
  /** A `--target` override: replaces `target.driver`, keeping the options only when the driver is the same. */
  target?: string;
}

/**
 * Compiles a validated recipe into a build plan. Pure, synchronous and deterministic: the same recipe and
 * context always give a plan with the same `canonicalJson` bytes. Interpolates `${vars.NAME}` in plain string
 * fields; a reference to a secret variable stays a `{ secret }` template (only in env values and file content).
 * @throws BakeError (exit 2) for an unknown variable, a secret outside env/content, a bad `from`, an unknown
 * `--target` driver, or a copy source missing from `context.inputs`.
 */
export function compile(recipe: Recipe, context: CompileContext): BuildPlan {
  const fill = new Interpolator({ vars: context.vars, secretNames: context.secretNames });
  const config =
    recipe.config === undefined ? undefined : (fill.deep(recipe.config, "config") as ImageConfigSpec);
  // The image config is part of the last layer's inputs: that layer's image is the one that carries it.
  const layers = recipe.layers.map((layer, index) =>
    compileLayer(layer, {
      fill,
      inputs: context.inputs,
      config: index === recipe.layers.length - 1 ? config : undefined,
    }),
  );
  const verify = recipe.verify.map((check, index) => compileCheck(check, { fill, index }));
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(recipe.labels)) labels[key] = fill.plain(value, `labels.${key}`);
  const declared = Object.keys(recipe.vars).filter((name) => !context.secretNames.includes(name));
  const vars: Record<string, VarValue> = {};
  for (const name of declared) {
    const value = context.vars[name];
    if (value !== undefined) vars[name] = value;
  }
  return {
    apiVersion: "bake/plan/v1",
    lineage: recipe.name,
    version: fill.plain(recipe.version, "version"),
    ...(recipe.description === undefined
      ? {}
      : { description: fill.plain(recipe.description, "description") }),
    recipe: { file: recipe.source.file, root: recipe.source.root, digest: context.inputs.recipeDigest },
    parent: parseParent(fill.plain(recipe.from, "from"), recipe.source.root),
    target: compileTarget(recipe.target, { fill, override: context.target }),
    layers,
    verify,
    labels,
    ...(config === undefined ? {} : { config }),
    ...(recipe.retain === undefined ? {} : { retain: { keep: recipe.retain.keep } }),
    ...(recipe.publish?.length
      ? { publish: recipe.publish.map((entry, index) => compilePublish(entry, { fill, index })) }
      : {}),
    vars,
    secrets: fill.usedSecrets(),
  };
}

// A destination is recorded in the manifest: plain variables only, and the shape a push can take.
function compilePublish(entry: PublishSpec, options: { fill: Interpolator; index: number }): PlannedPublish {
  const field = `publish[${options.index}]`;
  const to = options.fill.plain(entry.to, `${field}.to`);
  if (!isPushDestination(to)) {
    throw new BakeError({
      code: "publish-invalid",
      message: `${field}.to is "${to}", which is not docker://REGISTRY/REPO:TAG`,
      hint: "name the registry, the repository and a tag, such as docker://registry.example.com:5000/team/web:2.4.0",
    });
  }
  if (entry.password === undefined || entry.username === undefined) return { to };
  const password = options.fill.secretable(entry.password, `${field}.password`);
  if (typeof password === "string") {
    throw new BakeError({
      code: "publish-password-not-secret",
      message: `${field}.password is not a variable marked secret`,
      hint: "declare the variable with secret: true and pass its value with --var, --var-file or BAKE_VAR_NAME",
    });
  }
  return {
    to,
    credentials: { username: options.fill.secretable(entry.username, `${field}.username`), password },
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

function compileTarget(
  target: TargetSpec,
  options: { fill: Interpolator; override: string | undefined },
): TargetSpec {
  const driver = options.override ?? target.driver;
  if (!(DRIVER_IDS as readonly string[]).includes(driver)) {
    const guess = nearest(driver, DRIVER_IDS);
    throw new BakeError({
      code: "unknown-driver",
      message: `unknown target driver "${driver}"`,
      hint: `${guess ? `did you mean "${guess}"? ` : ""}use one of: ${DRIVER_IDS.join(", ")}`,
    });
  }
  const keep = driver === target.driver;
  const targetOptions = keep ? (options.fill.deep(target.options, "target") as Record<string, unknown>) : {};
  return { driver, options: targetOptions };
}

function compileLayer(
  layer: LayerSpec,
  options: { fill: Interpolator; inputs: RecipeInputs; config: ImageConfigSpec | undefined },
): PlannedLayer {
  const steps = layer.steps.map((step, index) =>
    compileStep(step, { ...options, where: `layers.${layer.name}.steps[${index}]` }),
  );
  return { name: layer.name, inputsDigest: layerInputsDigest(steps, options.config), steps };
}

function compileStep(
  step: StepSpec,
  options: { fill: Interpolator; inputs: RecipeInputs; where: string },
): PlannedStep {
  const { fill, where } = options;
  switch (step.kind) {
    case "run": {
      if (step.script !== undefined) assertNoInterpolation(step.script, `${where}.run`);
      const planned = {
        kind: "run" as const,
        title: "",
        ...(step.script === undefined ? {} : { script: step.script }),
        ...(step.argv === undefined
          ? {}
          : { argv: step.argv.map((arg, i) => fill.plain(arg, `${where}.run[${i}]`)) }),
        env: compileEnv(step.env, { fill, where: `${where}.env` }),
        ...optionalString("workdir", step.workdir, fill, where),
        ...optionalString("user", step.user, fill, where),
        ...(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs }),
      };
      planned.title = runTitle(planned);
      return planned;
    }
    case "copy": {
      const entries = options.inputs.copies[step.from];
      if (!entries) {
        throw new BakeError({
          code: "copy-inputs-missing",
          message: `${where}: no inputs were gathered for the copy source "${step.from}"`,
          hint: "call gatherInputs(recipe) and pass its result as context.inputs",
        });
      }
      const from = normaliseSource(step.from);
      const to = fill.plain(step.to, `${where}.to`);
      return {
        kind: "copy",
        title: copyTitle({ from: step.from, to }),
        from,
        to,
        ...(step.mode === undefined ? {} : { mode: step.mode }),
        ...optionalString("owner", step.owner, fill, where),
        entries: entries.map((entry) => ({ ...entry })),
      };
    }
    case "file": {
      const filePath = fill.plain(step.path, `${where}.path`);
      const content = fill.secretable(step.content, `${where}.content`);
      return {
        kind: "file",
        title: fileTitle({ path: filePath, content }),
        path: filePath,
        content,
        ...(step.mode === undefined ? {} : { mode: step.mode }),
        ...optionalString("owner", step.owner, fill, where),
      };
    }
  }
}

function compileCheck(check: CheckSpec, options: { fill: Interpolator; index: number }): PlannedCheck {
  const { fill } = options;
  const where = `verify[${options.index}]`;
  const common = {
    name: fill.plain(check.name, `${where}.name`),
    retries: check.retries,
    intervalMs: check.intervalMs,
    timeoutMs: check.timeoutMs,
  };
  switch (check.kind) {
    case "run":
      if (check.script !== undefined) assertNoInterpolation(check.script, `${where}.run`);
      return {
        ...common,
        kind: "run",
        ...(check.script === undefined ? {} : { script: check.script }),
        ...(check.argv === undefined
          ? {}
          : { argv: check.argv.map((arg, i) => fill.plain(arg, `${where}.run[${i}]`)) }),
        env: compileEnv(check.env, { fill, where: `${where}.env` }),
        ...optionalString("user", check.user, fill, where),
        ...optionalString("workdir", check.workdir, fill, where),
      };
    case "file":
      return {
        ...common,
        kind: "file",
        path: fill.plain(check.path, `${where}.path`),
        exists: check.exists,
        ...optionalString("contains", check.contains, fill, where),
        ...(check.mode === undefined ? {} : { mode: check.mode }),
      };
    case "http":
      return {
        ...common,
        kind: "http",
        url: fill.plain(check.url, `${where}.url`),
        status: check.status,
        ...optionalString("bodyContains", check.bodyContains, fill, where),
      };
  }
}

function compileEnv(
  env: Record<string, string>,
  options: { fill: Interpolator; where: string },
): Record<string, PlanString> {
  const out: Record<string, PlanString> = {};
  for (const [key, value] of Object.entries(env))
    out[key] = options.fill.secretable(value, `${options.where}.${key}`);
  return out;
}

// Spreads `{ [key]: interpolated }` when the value is set, nothing otherwise (keeps optional fields absent).
function optionalString<K extends string>(
  key: K,
  value: string | undefined,
  fill: Interpolator,
  where: string,
): { [P in K]?: string } {
  if (value === undefined) return {};
  return { [key]: fill.plain(value, `${where}.${key}`) } as { [P in K]?: string };
}

// `./dist/` and `dist` name the same source; the plan shows one spelling.
function normaliseSource(from: string): string {
  const normal = path.posix.normalize(from.replaceAll("\\", "/")).replace(/\/+$/, "");
  return normal === "" ? "." : normal;
}
