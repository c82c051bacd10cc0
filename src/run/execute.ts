import type {
  Artifact,
  BuildFacts,
  Driver,
  DriverContext,
  ResolvedImage,
  VerifyResult,
} from "../drivers/driver.js";
import type { Reporter } from "../drivers/events.js";
import { createRedactor, type Redactor, redactDeep } from "../drivers/redact.js";
import { BakeError, BuildFailedError, ExitCode, InterruptedError, isBakeError } from "../errors.js";
import { ciInfo } from "../manifest/ci.js";
import type { SideData } from "../manifest/side-data.js";
import type { ImageLayer, ImageRecord, ParentLink } from "../manifest/types.js";
import { layerCacheKeys } from "../plan/cache-key.js";
import { rootPlan } from "../plan/paths.js";
import type { SecretValues } from "../plan/secrets.js";
import type { BuildPlan, PlannedLayer } from "../plan/types.js";
import { type CachedLayer, findCachedPrefix, findUpToDate, verifyDigest } from "./cache.js";
import { startInventory } from "./inventory.js";
import type { RunnerManifest } from "./manifest-port.js";
import { type ResolvedParent, resolveParent } from "./parent.js";
import { publish, publishCredentials } from "./publish.js";
import { newRunId } from "./run-id.js";
import { StepTap } from "./step-tap.js";

/** What `execute` needs besides the plan. */
export interface ExecuteOptions {
  driver: Driver;
  manifest: RunnerManifest;
  reporter: Reporter;
  /** Aborted on SIGINT/SIGTERM: the driver cleans up and nothing is registered. */
  signal: AbortSignal;
  /** Values of the plan's secret variables; never written anywhere. */
  secrets: SecretValues;
  cwd: string;
  /**
   * The recipe's directory, absolute: what a plan's relative paths (the default) are relative to. `planRecipe`
   * returns it. Not needed for a plan compiled with `absolutePaths`.
   */
  root?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Rebuild every layer even when the cache holds it. @default false */
  noCache?: boolean;
  /** @default a new `bake-<time>-<rand>` id */
  runId?: string;
  /** Where the verified image's package inventory is stored; without it, none is recorded. */
  sideData?: SideData;
  /**
   * Build a lineage parent on exactly this record id instead of what the recipe's `from` resolves to now.
   * A tree build pins each child to the record its parent got in the same run.
   */
  parentRecord?: string;
  /** Extra details for the image record, such as the cascade a tree build made it in. */
  details?: Record<string, string>;
}

/** The outcome of a successful build. */
export interface ExecuteResult {
  /** The registered image record, or the existing identical one when `upToDate`. */
  record: ImageRecord;
  /** Every layer was cached and the same verified image was already registered: nothing was launched. */
  upToDate: boolean;
  /** Names of the layers baked in this run, bottom first. */
  bakedLayers: string[];
  /** Names of the layers taken from the cache. */
  cachedLayers: string[];
  runId: string;
}

/**
 * Runs a build plan: resolves the parent to an exact image, reuses the longest cached prefix of layers, bakes
 * the rest (each recorded as a layer record, which is a cache entry), verifies the final image on a fresh
 * instance and only then registers the image record.
 *
 * Throws `BuildFailedError` (exit 1) when a step or a check fails, `InterruptedError` (exit 130) when the
 * signal aborts, and `BakeError` (exit 2) for a parent that cannot be used. No image record is registered then.
 */
export async function execute(relativePlan: BuildPlan, options: ExecuteOptions): Promise<ExecuteResult> {
  // Drivers read copy sources and archive parents from absolute paths; the plan keeps them relative.
  const plan = rootPlan(relativePlan, options.root);
  const runId = options.runId ?? newRunId();
  const redact = createRedactor(options.secrets);
  // Everything, the runner's events and the driver's, passes the tap: it hides secrets before any reporter.
  const tap = new StepTap(options.reporter, { redact, signal: options.signal });
  const ctx: DriverContext = { cwd: options.cwd, env: options.env, signal: options.signal, reporter: tap };
  const startedAt = Date.now();
  tap.emit({
    type: "build-started",
    runId,
    lineage: plan.lineage,
    version: plan.version,
    driver: options.driver.id,
    layers: plan.layers.map((layer) => layer.name),
  });
  try {
    checkPublishable(plan, options);
    const result = await run(plan, { ...options, runId, ctx, tap, redact });
    await publishAll(plan, { ...options, runId, ctx, tap, redact, record: result.record });
    tap.emit({
      type: "build-finished",
      ok: true,
      durationMs: Date.now() - startedAt,
      recordId: result.record.id,
    });
    return result;
  } catch (caught) {
    const error = options.signal.aborted ? interrupted(options.signal) : caught;
    tap.emit({
      type: "build-finished",
      ok: false,
      durationMs: Date.now() - startedAt,
      error: redact(error instanceof Error ? error.message : String(error)),
    });
    throw error;
  }
}

interface RunContext extends ExecuteOptions {
  runId: string;
  ctx: DriverContext;
  tap: StepTap;
  redact: Redactor;
}

async function run(plan: BuildPlan, options: RunContext): Promise<ExecuteResult> {
  const { driver, manifest, ctx, tap } = options;
  checkAborted(options.signal);
  if (manifest.path !== undefined) await driver.recordsIn?.(manifest.path, ctx);
  const parent = await resolveParent(plan, {
    driver,
    manifest,
    ctx,
    ...(options.parentRecord === undefined ? {} : { pinned: options.parentRecord }),
  });
  tap.emit({ type: "parent-resolved", ref: parent.image.ref, id: parent.image.id });
  for (const warning of parent.warnings) tap.emit({ type: "note", message: `warning: ${warning}` });

  const keys = layerCacheKeys(
    parent.image.id,
    plan.layers.map((layer) => layer.inputsDigest),
  );
  const cached = options.noCache ? [] : await findCachedPrefix({ keys, driver, manifest, ctx });
  const cachedLayers = cached.map((_entry, index) => plan.layers[index]?.name ?? "");

  if (plan.layers.length > 0 && cached.length === plan.layers.length) {
    const last = cached.at(-1) as CachedLayer;
    const existing = findUpToDate({
      plan,
      driver: driver.id,
      parent: parent.link,
      artifact: last.artifact,
      manifest,
    });
    if (existing) {
      reportCached(plan, { keys, cached, tap });
      tap.emit({
        type: "up-to-date",
        recordId: existing.id,
        lineage: existing.lineage,
        version: existing.version,
        build: existing.build ?? 0,
      });
      return { record: existing, upToDate: true, bakedLayers: [], cachedLayers, runId: options.runId };
    }
  }
  reportCached(plan, { keys, cached, tap });

  const layers: ImageLayer[] = cached.map((entry, index) => ({
    name: plan.layers[index]?.name ?? "",
    inputsDigest: plan.layers[index]?.inputsDigest ?? "",
    cacheKey: keys[index] ?? "",
    record: entry.record.id,
    artifact: entry.artifact,
  }));
  let previous: ResolvedImage | Artifact = cached.length
    ? { id: (cached.at(-1) as CachedLayer).artifact, driver: driver.id }
    : parent.image;
  let previousLink: ParentLink = cached.length
    ? { record: (cached.at(-1) as CachedLayer).record.id }
    : parent.link;
  const bakedLayers: string[] = [];
  const facts = buildFacts(plan, { parent, env: ctx.env });
  let finalDetails: Record<string, string> = {};

  for (let index = cached.length; index < plan.layers.length; index++) {
    const layer = plan.layers[index] as PlannedLayer;
    const cacheKey = keys[index] as string;
    const artifact = await bakeLayer(plan, { ...options, layer, index, cacheKey, parent: previous, facts });
    const record = await manifest.register({
      kind: "layer",
      lineage: plan.lineage,
      version: plan.version,
      parent: previousLink,
      driver: driver.id,
      artifact: artifact.id,
      recipeDigest: plan.recipe.digest,
      layer: { name: layer.name, inputsDigest: layer.inputsDigest, cacheKey },
      ...(artifact.details ? { details: artifact.details } : {}),
      runId: options.runId,
    });
    layers.push({
      name: layer.name,
      inputsDigest: layer.inputsDigest,
      cacheKey,
      record: record.id,
      artifact: artifact.id,
    });
    bakedLayers.push(layer.name);
    previous = artifact;
    previousLink = { record: record.id };
    finalDetails = artifact.details ?? {};
  }

  const image: Artifact = { id: previous.id, driver: driver.id };
  // When this run baked the last layer, the inventory is taken beside verification (local reads files, packer and
  // gce already hold the builder's report). From cached layers it waits: packer would launch a second build.
  const early = bakedLayers.length > 0 ? startInventory(plan, { ...options, image }) : undefined;
  let verify: VerifyResult;
  try {
    verify = await verifyImage(plan, { ...options, image });
  } catch (error) {
    await early?.settle();
    throw error;
  }
  checkAborted(options.signal);
  const inventory = await (early ?? startInventory(plan, { ...options, image })).store();
  checkAborted(options.signal);
  const record = await manifest.register({
    kind: "image",
    lineage: plan.lineage,
    version: plan.version,
    parent: parent.link,
    driver: driver.id,
    artifact: image.id,
    recipeDigest: plan.recipe.digest,
    layers,
    verify: { ok: verify.ok, checks: verify.checks },
    labels: plan.labels,
    details: { ...finalDetails, ...options.details, ...recordDetails(plan, parent), ...inventory },
    runId: options.runId,
  });
  tap.emit({
    type: "registered",
    recordId: record.id,
    lineage: record.lineage,
    version: record.version,
    build: record.build ?? 0,
  });
  return { record, upToDate: false, bakedLayers, cachedLayers, runId: options.runId };
}

// A plan that publishes needs a driver that pushes and a manifest to record in: refused before any work.
function checkPublishable(plan: BuildPlan, options: ExecuteOptions): void {
  if (!plan.publish?.length) return;
  if (!options.driver.push) {
    throw new BakeError({
      code: "push-driver",
      message: `publish: the ${options.driver.id} driver cannot push images to a registry`,
      hint: "publish works with the local driver; remove publish: for this target",
    });
  }
  if (!options.manifest.appendEvent) {
    throw new BakeError({
      code: "publish-unrecorded",
      message: "publish: this manifest cannot record pushes (it has no appendEvent)",
    });
  }
}

// Each push of `publish:` in order, each recorded as it succeeds. A failure keeps the registered image (and the
// pushes before it) and says how to push again; secrets never reach the message.
async function publishAll(plan: BuildPlan, options: RunContext & { record: ImageRecord }): Promise<void> {
  const { manifest, record, tap } = options;
  for (const entry of plan.publish ?? []) {
    checkAborted(options.signal);
    const credentials = publishCredentials(entry, options.secrets);
    try {
      const event = await publish({
        driver: options.driver,
        manifest: manifest as Required<RunnerManifest>,
        record,
        destination: entry.to,
        ctx: options.ctx,
        options: plan.target.options,
        ...(credentials ? { credentials } : {}),
      });
      tap.emit({
        type: "published",
        recordId: record.id,
        destination: event.destination,
        digest: event.digest,
      });
    } catch (error) {
      if (options.signal.aborted) throw interrupted(options.signal);
      const reason = options.redact(error instanceof Error ? error.message : String(error));
      throw new BakeError({
        code: isBakeError(error) ? error.code : "publish-failed",
        message: `${record.lineage} ${record.version} build ${record.build ?? "?"} is registered (${record.id}), but publishing it failed: ${reason}`,
        hint: `${isBakeError(error) && error.hint ? `${options.redact(error.hint)}; then ` : ""}push it again with: bake push ${record.lineage}#${record.build ?? "?"} ${entry.to}`,
        ...(isBakeError(error) && error.detail ? { detail: options.redact(error.detail) } : {}),
        exitCode: isBakeError(error) ? error.exitCode : ExitCode.Failed,
        cause: error,
      });
    }
  }
}

// Cached layers are reported as started-and-finished at once, so every renderer lists them.
function reportCached(
  plan: BuildPlan,
  options: { keys: readonly string[]; cached: readonly CachedLayer[]; tap: StepTap },
): void {
  options.cached.forEach((entry, index) => {
    const layer = plan.layers[index] as PlannedLayer;
    const common = { layer: layer.name, index, cached: true };
    options.tap.emit({ type: "layer-started", ...common, cacheKey: options.keys[index] as string });
    options.tap.emit({
      type: "layer-finished",
      ...common,
      ok: true,
      durationMs: 0,
      artifact: entry.artifact,
    });
  });
}

// What every image records about its build (OCI annotations): the base as written and resolved, the CI commit.
function buildFacts(
  plan: BuildPlan,
  options: { parent: ResolvedParent; env: DriverContext["env"] },
): BuildFacts {
  const revision = ciInfo(options.env)?.commit;
  return {
    baseRef: plan.parent.ref,
    baseId: options.parent.image.id,
    ...(revision === undefined ? {} : { revision }),
  };
}

// What the image record keeps beyond the contract's fields: the floating parent reference and the verify digest.
function recordDetails(plan: BuildPlan, parent: ResolvedParent): Record<string, string> {
  return {
    parentRef: plan.parent.ref,
    parentId: parent.image.id,
    ...baseDetails(parent),
    verifyDigest: verifyDigest(plan),
  };
}

// What the driver says about an external base (a registry base's platform and index digest, say), as `parent*`.
function baseDetails(parent: ResolvedParent): Record<string, string> {
  if (!("external" in parent.link)) return {};
  return Object.fromEntries(
    Object.entries(parent.image.details ?? {}).map(([key, value]) => [
      `parent${key.charAt(0).toUpperCase()}${key.slice(1)}`,
      value,
    ]),
  );
}

async function bakeLayer(
  plan: BuildPlan,
  options: RunContext & {
    layer: PlannedLayer;
    index: number;
    cacheKey: string;
    parent: ResolvedImage | Artifact;
    facts: BuildFacts;
  },
): Promise<Artifact> {
  const { layer, index, tap } = options;
  checkAborted(options.signal);
  tap.reset();
  const startedAt = Date.now();
  tap.emit({
    type: "layer-started",
    layer: layer.name,
    index,
    cacheKey: options.cacheKey,
    cached: false,
    steps: layer.steps.map((step) => step.title),
  });
  try {
    const artifact = await options.driver.bake({
      ...options.ctx,
      plan,
      parent: options.parent,
      layer,
      layerIndex: index,
      runId: options.runId,
      secrets: options.secrets,
      facts: options.facts,
      inventory: options.sideData !== undefined,
    });
    tap.emit({
      type: "layer-finished",
      layer: layer.name,
      index,
      ok: true,
      cached: false,
      durationMs: Date.now() - startedAt,
      artifact: artifact.id,
    });
    return artifact;
  } catch (error) {
    tap.emit({
      type: "layer-finished",
      layer: layer.name,
      index,
      ok: false,
      cached: false,
      durationMs: Date.now() - startedAt,
    });
    if (options.signal.aborted) throw interrupted(options.signal);
    throw layerFailure(error, { layer, tap, redact: options.redact });
  }
}

// Names the layer and the step, and carries the step's last output lines (secrets hidden).
function layerFailure(
  error: unknown,
  options: { layer: PlannedLayer; tap: StepTap; redact: Redactor },
): BakeError {
  // Bad input (exit 2, such as a sandbox the machine cannot make) passes through; failures get the layer and step.
  if (isBakeError(error) && error.exitCode !== ExitCode.Failed) return redactError(error, options.redact);
  const reason = options.redact(error instanceof Error ? error.message : String(error));
  const step = options.tap.lastStep(options.layer.name);
  const where = step
    ? `layer "${options.layer.name}", step ${step.step + 1} (${options.redact(step.title)})`
    : `layer "${options.layer.name}"`;
  const tail = step?.lastLines.map((line) => `  | ${options.redact(line)}`).join("\n");
  return new BuildFailedError({
    code: isBakeError(error) ? error.code : "step-failed",
    message: `${where} failed: ${reason}`,
    ...(tail ? { detail: `last output of the step:\n${tail}` } : {}),
    // A driver's own hint (quota, credentials, a missing tool) says more than the generic one.
    hint:
      (isBakeError(error) ? error.hint : undefined) ??
      "fix the step and build again; layers below it come from the cache",
    cause: error,
  });
}

async function verifyImage(
  plan: BuildPlan,
  options: RunContext & { image: Artifact },
): Promise<VerifyResult> {
  if (plan.verify.length === 0) return { ok: true, checks: [] };
  checkAborted(options.signal);
  let result: VerifyResult;
  try {
    result = await options.driver.verify({
      ...options.ctx,
      plan,
      image: options.image,
      checks: plan.verify,
      runId: options.runId,
      secrets: options.secrets,
    });
  } catch (error) {
    if (options.signal.aborted) throw interrupted(options.signal);
    if (isBakeError(error) && error.exitCode !== ExitCode.Failed) throw redactError(error, options.redact);
    throw new BuildFailedError({
      code: "verify-failed",
      message: `verify failed: ${options.redact(error instanceof Error ? error.message : String(error))}`,
      cause: error,
    });
  }
  if (options.signal.aborted) throw interrupted(options.signal);
  if (!result.ok) {
    const failed = result.checks.filter((check) => !check.ok);
    const first = failed[0];
    const name = first ? `check "${first.name}"` : "a check";
    throw new BuildFailedError({
      code: "verify-failed",
      message: options.redact(
        `verify failed: ${name} failed${first?.message ? `: ${first.message}` : ""}${first ? ` (after ${first.attempts} attempt(s))` : ""}`,
      ),
      ...(failed.length > 1
        ? {
            detail: failed
              .map((check) => `  ${options.redact(`${check.name}: ${check.message ?? "failed"}`)}`)
              .join("\n"),
          }
        : {}),
      hint: "the image was not registered; fix the recipe or the check and build again (its layers are cached)",
    });
  }
  return result;
}

// A driver's bad-input error passes through with its code and exit code, but never with a secret in its words.
function redactError(error: BakeError, redact: Redactor): BakeError {
  const words = { message: error.message, hint: error.hint, detail: error.detail };
  const hidden = redactDeep(words, redact);
  if (hidden.message === words.message && hidden.hint === words.hint && hidden.detail === words.detail)
    return error;
  return new BakeError({
    code: error.code,
    message: hidden.message,
    exitCode: error.exitCode,
    ...(hidden.hint === undefined ? {} : { hint: hidden.hint }),
    ...(hidden.detail === undefined ? {} : { detail: hidden.detail }),
    ...(error.location ? { location: error.location } : {}),
    cause: error,
  });
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw interrupted(signal);
}

function interrupted(signal: AbortSignal): InterruptedError {
  const reason: unknown = signal.reason;
  if (reason instanceof InterruptedError) return reason;
  const message = reason instanceof Error && reason.message ? reason.message : "interrupted";
  return new InterruptedError(message);
}
