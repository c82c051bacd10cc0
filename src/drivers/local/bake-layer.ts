import { join } from "node:path";
import { mkdir, mkdtemp } from "../../util/fs-async.js";
import { makeDirectoriesAsync } from "../../util/make-directories.js";
import type { Artifact, BakeLayerInput } from "../driver.js";
import { standardAnnotations } from "./annotations.js";
import { sourceDateEpoch } from "./epoch.js";
import { hostBinds } from "./host-base.js";
import { childConfig, childManifest, isoTime } from "./image-config.js";
import { captureLayer } from "./layer-tar.js";
import { MEDIA } from "./oci.js";
import { removeTree } from "./remove.js";
import { copyStep, fileStep, runStep, type StepContext } from "./steps.js";
import type { Store } from "./store.js";

/**
 * Bakes one layer: runs its steps over the parent's layers in a fresh upper dir, captures the upper dir as a
 * reproducible layer, writes config and manifest, and caches the upper dir as the layer's unpacked form.
 * Scratch directories are removed whatever happens.
 */
export async function bakeLayer(
  input: BakeLayerInput & { store: Store; network: "host" | "none" },
): Promise<Artifact> {
  const { store, layer, reporter } = input;
  await store.hold(input.parent.id);
  const parent = await store.requireImage(input.parent.id);
  const lowers = await store.unpackedLayers(parent);
  const runDir = await store.runDir(input.runId);
  await makeDirectoriesAsync(runDir);
  const scratch = await mkdtemp(join(runDir, "layer-"));
  const upper = join(scratch, "upper");
  await mkdir(upper);
  try {
    const base: Omit<StepContext, "step"> = {
      upper,
      lowers,
      scratch,
      mapping: store.mapping,
      network: input.network,
      binds: hostBinds(parent),
      recipeRoot: input.plan.recipe.root,
      secrets: input.secrets,
      signal: input.signal,
      reporter,
      layer: layer.name,
    };
    for (const [index, step] of layer.steps.entries()) {
      input.signal.throwIfAborted();
      const ctx: StepContext = { ...base, step: index };
      const startedAt = Date.now();
      reporter.emit({ type: "step-started", layer: layer.name, step: index, title: step.title });
      try {
        if (step.kind === "run") await runStep(step, ctx);
        else if (step.kind === "copy") await copyStep(step, ctx);
        else await fileStep(step, ctx);
      } catch (error) {
        const exitCode = (error as { code?: string }).code === "step-failed" ? exitCodeOf(error) : undefined;
        reporter.emit({
          type: "step-finished",
          layer: layer.name,
          step: index,
          ok: false,
          durationMs: Date.now() - startedAt,
          ...(exitCode === undefined ? {} : { exitCode }),
        });
        throw error;
      }
      reporter.emit({
        type: "step-finished",
        layer: layer.name,
        step: index,
        ok: true,
        durationMs: Date.now() - startedAt,
        ...(step.kind === "run" ? { exitCode: 0 } : {}),
      });
    }
    input.signal.throwIfAborted();
    const epoch = sourceDateEpoch(input.env);
    const captured = await captureLayer({ dir: upper, store, mapping: store.mapping, epoch });
    // Without facts from the runner (drivers' own tests), the base is the image this layer starts from.
    const facts = input.facts ?? { baseRef: input.parent.id, baseId: input.parent.id };
    const annotations = standardAnnotations({ plan: input.plan, facts, created: isoTime(epoch) });
    const last = input.layerIndex === input.plan.layers.length - 1;
    const config = childConfig({ parent, plan: input.plan, layer, captured, epoch, last, annotations });
    const configDescriptor = await store.writeJsonBlob(config, MEDIA.config);
    const manifest = childManifest({ parent, config: configDescriptor, captured, annotations });
    const id = await store.addImage({ manifest, runId: input.runId, kind: "layer" });
    await store.adoptLayerDir(captured.diffId, upper, captured.opaque);
    return {
      id,
      driver: "local",
      details: {
        layer: captured.digest,
        diffId: captured.diffId,
        size: String(captured.size),
        store: store.root,
      },
    };
  } finally {
    await removeTree(scratch, store.mapping);
    await removeTree(runDir, store.mapping).catch(() => {});
  }
}

function exitCodeOf(error: unknown): number | undefined {
  const match = /exited with code (\d+)/.exec(error instanceof Error ? error.message : "");
  return match ? Number(match[1]) : undefined;
}
