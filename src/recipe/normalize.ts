import { parseDuration } from "./duration.js";
import { readMode } from "./mode.js";
import { sourceText } from "./rules/values.js";
import type { RecipePath, RecipeSource } from "./source.js";
import type {
  CheckSpec,
  CheckTiming,
  ImageConfigSpec,
  LayerSpec,
  PublishSpec,
  Recipe,
  RolloutCheckSpec,
  StepSpec,
  TargetSpec,
  VarSpec,
} from "./types.js";
import type {
  WrittenCheck,
  WrittenCheckTiming,
  WrittenImageConfig,
  WrittenMode,
  WrittenPublish,
  WrittenRecipe,
  WrittenRolloutCheck,
  WrittenScalar,
  WrittenStep,
} from "./written.js";

// The driver of a recipe whose `target` names none (or that has no `target`).
const DEFAULT_DRIVER = "local";

/** Defaults a check gets when the recipe leaves them out. */
export const CHECK_DEFAULTS: CheckTiming = { retries: 0, intervalMs: 1000, timeoutMs: 30_000 };

/** Turn a valid written recipe into the normalised `Recipe`: defaults applied, steps tagged by kind. */
export function normalizeRecipe(
  written: WrittenRecipe,
  options: { source: RecipeSource; file: string; root: string },
): Recipe {
  const mode = (path: RecipePath, value: WrittenMode | undefined) => modeOf(options.source, path, value);
  // A target without `driver` is the local driver's, as is a recipe without `target`.
  const { driver = DEFAULT_DRIVER, ...targetOptions } = written.target ?? {};
  const target: TargetSpec = { driver, options: targetOptions };
  const layers: LayerSpec[] = written.layers.map((layer, l) => ({
    name: layer.name,
    steps: layer.steps.map((step, s) =>
      normalizeStep(step, (key, value) => mode(["layers", l, "steps", s, key, "mode"], value)),
    ),
  }));
  const verify: CheckSpec[] = (written.verify ?? []).map((check, c) =>
    normalizeCheck(check, (value) => mode(["verify", c, "file", "mode"], value)),
  );
  // fromEntries defines own properties, so even a key such as `__proto__` stays data, never a prototype.
  const vars: Record<string, VarSpec> = Object.fromEntries(
    Object.entries(written.vars ?? {}).map(([name, spec]): [string, VarSpec] => [
      name,
      {
        type: spec.type ?? "string",
        secret: spec.secret ?? false,
        ...(spec.description !== undefined ? { description: spec.description } : {}),
        ...(spec.default !== undefined ? { default: spec.default } : {}),
        ...(spec.enum !== undefined ? { enum: spec.enum } : {}),
        ...(spec.pattern !== undefined ? { pattern: spec.pattern } : {}),
      },
    ]),
  );
  return {
    apiVersion: "bake/v1",
    name: written.name,
    version: written.version ?? "0.0.0",
    ...(written.description !== undefined ? { description: written.description } : {}),
    from: written.from,
    target,
    vars,
    layers,
    verify,
    labels: { ...(written.labels ?? {}) },
    ...(written.config !== undefined ? { config: normalizeConfig(written.config) } : {}),
    ...(written.publish !== undefined ? { publish: written.publish.map(normalizePublish) } : {}),
    ...(written.retain !== undefined ? { retain: { keep: written.retain.keep } } : {}),
    ...(written.rollout !== undefined
      ? { rollout: { checks: written.rollout.checks.map(normalizeRolloutCheck) } }
      : {}),
    source: { file: options.file, root: options.root },
  };
}

function normalizeStep(
  step: WrittenStep,
  mode: (key: "copy" | "file", value: WrittenMode | undefined) => number | undefined,
): StepSpec {
  if ("copy" in step) {
    const m = mode("copy", step.copy.mode);
    return {
      kind: "copy",
      from: step.copy.from,
      to: step.copy.to,
      ...(m !== undefined ? { mode: m } : {}),
      ...(step.copy.owner !== undefined ? { owner: step.copy.owner } : {}),
    };
  }
  if ("file" in step) {
    const m = mode("file", step.file.mode);
    return {
      kind: "file",
      path: step.file.path,
      content: step.file.content,
      ...(m !== undefined ? { mode: m } : {}),
      ...(step.file.owner !== undefined ? { owner: step.file.owner } : {}),
    };
  }
  const timeoutMs = step.timeout === undefined ? undefined : parseDuration(step.timeout);
  return {
    kind: "run",
    ...(typeof step.run === "string" ? { script: step.run } : { argv: [...step.run] }),
    env: stringEnv(step.env),
    ...(step.workdir !== undefined ? { workdir: step.workdir } : {}),
    ...(step.user !== undefined ? { user: step.user } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  };
}

// Rollout checks take the verify http check's fields and timing, aimed at a port and path of each instance.
function normalizeRolloutCheck(check: WrittenRolloutCheck): RolloutCheckSpec {
  return {
    kind: "http",
    port: check.http.port,
    path: check.http.path,
    status: check.http.status ?? 200,
    ...(check.http.bodyContains !== undefined ? { bodyContains: check.http.bodyContains } : {}),
    ...checkTiming(check),
    name: check.name ?? `http: :${check.http.port}${check.http.path}`,
  };
}

function checkTiming(check: WrittenCheckTiming): CheckTiming {
  return {
    retries: check.retries ?? CHECK_DEFAULTS.retries,
    intervalMs:
      check.interval === undefined
        ? CHECK_DEFAULTS.intervalMs
        : (parseDuration(check.interval) ?? CHECK_DEFAULTS.intervalMs),
    timeoutMs:
      check.timeout === undefined
        ? CHECK_DEFAULTS.timeoutMs
        : (parseDuration(check.timeout) ?? CHECK_DEFAULTS.timeoutMs),
  };
}

function normalizeCheck(
  check: WrittenCheck,
  mode: (value: WrittenMode | undefined) => number | undefined,
): CheckSpec {
  const timing = checkTiming(check);
  if ("http" in check) {
    return {
      kind: "http",
      url: check.http.url,
      status: check.http.status ?? 200,
      ...(check.http.bodyContains !== undefined ? { bodyContains: check.http.bodyContains } : {}),
      ...timing,
      name: check.name ?? `http: ${check.http.url}`,
    };
  }
  if ("file" in check) {
    const m = mode(check.file.mode);
    const exists = check.file.exists ?? true;
    return {
      kind: "file",
      path: check.file.path,
      exists,
      ...(check.file.contains !== undefined ? { contains: check.file.contains } : {}),
      ...(m !== undefined ? { mode: m } : {}),
      ...timing,
      name: check.name ?? `file: ${check.file.path}${exists ? "" : " is absent"}`,
    };
  }
  return {
    kind: "run",
    ...(typeof check.run === "string" ? { script: check.run } : { argv: [...check.run] }),
    env: stringEnv(check.env),
    ...(check.user !== undefined ? { user: check.user } : {}),
    ...(check.workdir !== undefined ? { workdir: check.workdir } : {}),
    ...timing,
    name: check.name ?? `run: ${shorten(typeof check.run === "string" ? check.run : check.run.join(" "))}`,
  };
}

// Env values may be written as numbers or booleans in YAML; processes only see strings.
function stringEnv(env: Record<string, WrittenScalar> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([key, value]) => [key, String(value)]));
}

function shorten(script: string): string {
  const line = script.trim().split("\n")[0] ?? "";
  const more = script.trim().includes("\n") ? " ..." : "";
  return line.length > 60 ? `${line.slice(0, 57)}...` : `${line}${more}`;
}

/** Permission bits, read by {@link readMode}; the rules have refused a mode it cannot read. */
export function modeOf(
  source: RecipeSource,
  path: RecipePath,
  value: WrittenMode | undefined,
): number | undefined {
  if (value === undefined) return undefined;
  const reading = readMode(value, typeof value === "number" ? sourceText({ source }, path) : "");
  if (reading.problem) throw new Error(`unchecked mode at ${path.join(".")}: ${reading.problem.message}`);
  return reading.mode;
}

// Copies the fields that are set, each map as own data properties (a key such as `__proto__` stays a key).
function normalizePublish(entry: WrittenPublish): PublishSpec {
  return typeof entry === "string" ? { to: entry } : { ...entry };
}

function normalizeConfig(config: WrittenImageConfig): ImageConfigSpec {
  const out: ImageConfigSpec = {};
  if (config.entrypoint !== undefined) out.entrypoint = [...config.entrypoint];
  if (config.cmd !== undefined) out.cmd = [...config.cmd];
  if (config.env !== undefined) out.env = Object.fromEntries(Object.entries(config.env));
  if (config.workdir !== undefined) out.workdir = config.workdir;
  if (config.user !== undefined) out.user = config.user;
  if (config.exposedPorts !== undefined) out.exposedPorts = [...config.exposedPorts];
  if (config.stopSignal !== undefined) out.stopSignal = config.stopSignal;
  if (config.labels !== undefined) out.labels = Object.fromEntries(Object.entries(config.labels));
  return out;
}
