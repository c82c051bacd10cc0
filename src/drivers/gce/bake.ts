import { randomBytes } from "node:crypto";
import { BakeError, BuildFailedError } from "../../errors.js";
import { GuestInventoryReader, reportMarker } from "../../inventory/guest-report.js";
import type { BuilderInventories } from "../builder-inventories.js";
import type { Artifact, BakeLayerInput } from "../driver.js";
import { createRedactor } from "../redact.js";
import { Cleanup } from "./cleanup.js";
import { cleanupReport } from "./cleanup-report.js";
import { guestSteps } from "./guest-steps.js";
import { formatImageId, parseImageId } from "./image-ref.js";
import { assertScriptFits, temporaryInstance } from "./instance.js";
import { LABEL, labelValue, resourceName } from "./labels.js";
import { retainAfterBuild } from "./retain.js";
import { SecretChannel, stepsUseSecrets } from "./secret-channel.js";
import { followSerial } from "./serial.js";
import type { GceSession } from "./session.js";
import { layerStartupScript } from "./startup-script.js";

const DESCRIPTION_LIMIT = 2048;

/**
 * Bakes one layer on Compute Engine: a builder instance boots from the parent image and its startup script
 * runs the steps; once the serial port says `success`, the instance is stopped and an image is made from its
 * disk. The instance and disk are deleted in every case; the image only survives a complete success. On the
 * last layer the script then reports the image's package databases, which `inventories` keeps for the image.
 */
export async function bakeLayer(
  input: BakeLayerInput,
  session: GceSession,
  inventories?: BuilderInventories,
): Promise<Artifact> {
  const { plan, layer, layerIndex, reporter } = input;
  const options = session.options;
  const parent = parseImageId(input.parent.id);
  if (!parent) {
    throw new BakeError({
      code: "parent-unsupported",
      message: `the gce driver cannot build on ${input.parent.id}`,
      hint: "a gce build starts from a gce:projects/P/global/images/... parent or a lineage built with gce",
    });
  }
  const steps = await guestSteps(layer, { root: plan.recipe.root, secrets: input.secrets });
  const redact = createRedactor(input.secrets);
  const nonce = randomBytes(8).toString("hex");
  const title = `${plan.lineage} ${plan.version}, layer ${layer.name} (${layerIndex + 1}/${plan.layers.length})`;
  const last = layerIndex === plan.layers.length - 1;
  // A marker of its own, so the report's lines are told from the step markers and from step output.
  const inventory =
    last && inventories && input.inventory !== false
      ? reportMarker(randomBytes(8).toString("hex"))
      : undefined;
  const reader = inventory === undefined ? undefined : new GuestInventoryReader(inventory);
  const script = layerStartupScript({
    title,
    nonce,
    steps,
    ...(inventory === undefined ? {} : { inventory }),
  });
  assertScriptFits(script, `layer "${layer.name}"`);

  const runTail = input.runId.replace(/^bake-/, "");
  const instanceName = resourceName(["bake", plan.lineage.slice(0, 24), `l${layerIndex}`, runTail]);
  const imageName = uniqueName([plan.lineage, plan.version, layer.name], `${runTail}-${layerIndex}`);
  const family = last ? familyOf(plan.lineage, options) : undefined;
  const runLabels = {
    [LABEL.run]: labelValue(input.runId),
    [LABEL.lineage]: labelValue(plan.lineage),
    [LABEL.role]: "builder",
  };

  const cleanup = new Cleanup();
  const undo = session.withSignal(new AbortController().signal);
  let keepImage = () => {};
  try {
    const parentImage = await session.getImage({ project: parent.project, name: parent.name });
    cleanup.push(`disk ${instanceName}`, () => undo.deleteDisk(instanceName));
    cleanup.push(`instance ${instanceName}`, () => undo.deleteInstance(instanceName));
    await session.insertInstance(
      temporaryInstance({
        options,
        name: instanceName,
        sourceImage: `projects/${parent.project}/global/images/${parent.name}`,
        startupScript: script,
        labels: runLabels,
      }),
    );
    reporter.emit({
      type: "note",
      layer: layer.name,
      message: `builder instance ${instanceName} booted from ${parent.name}`,
    });
    const channel = new SecretChannel({
      session,
      instance: instanceName,
      reporter,
      carriesSecrets: stepsUseSecrets(layer.steps),
      layer: layer.name,
    });

    const startedAt = new Map<number, number>();
    const outcome = await followSerial({
      session,
      instance: instanceName,
      nonce,
      timeoutMs: options.buildTimeoutMs,
      onMarker: (marker) => {
        channel.markerSeen();
        if (marker.kind === "step-start") {
          startedAt.set(marker.step, Date.now());
          const planned = layer.steps[marker.step - 1];
          reporter.emit({
            type: "step-started",
            layer: layer.name,
            step: marker.step - 1,
            title: planned?.title ?? `step ${marker.step}`,
          });
        } else if (marker.kind === "step-end") {
          reporter.emit({
            type: "step-finished",
            layer: layer.name,
            step: marker.step - 1,
            ok: marker.exitCode === 0,
            durationMs: Date.now() - (startedAt.get(marker.step) ?? Date.now()),
            exitCode: marker.exitCode,
          });
        }
      },
      onLine: (line) =>
        reporter.emit({ type: "output", stream: "stdout", line: redact(line), layer: layer.name }),
      ...(reader ? { take: (line: string) => reader.take(line) } : {}),
    });
    await channel.settle();
    if (outcome.kind === "failure") {
      const what =
        outcome.reason === "timeout"
          ? "timed out"
          : outcome.reason === "script"
            ? "the startup script stopped"
            : "failed";
      throw new BuildFailedError({
        code: outcome.reason === "timeout" ? "step-timeout" : "step-failed",
        message: `${what} with exit code ${outcome.exitCode} on builder instance ${instanceName}`,
        ...(outcome.lastLines.length > 0
          ? { detail: outcome.lastLines.map((line) => `  | ${redact(line)}`).join("\n") }
          : {}),
      });
    }

    await session.stopInstance(instanceName);
    keepImage = cleanup.push(`image ${imageName}`, () => undo.deleteImage(options.project, imageName));
    await session.insertImage({
      name: imageName,
      sourceDisk: `projects/${options.project}/zones/${options.zone}/disks/${instanceName}`,
      ...(family === undefined ? {} : { family }),
      labels: imageLabels(input, parent.numericId),
      description: description(input, parent, parentImage.description ?? ""),
      ...(options.storageLocations === undefined ? {} : { storageLocations: options.storageLocations }),
    });
    const image = await session.getImage({ project: options.project, name: imageName });
    const numericId = String(image.id ?? "");
    keepImage();
    const id = formatImageId({ project: options.project, name: imageName, numericId });
    if (reader) await inventories?.record(id, reader);
    if (last && family !== undefined && plan.verify.length === 0) {
      await retainAfterBuild({
        session,
        plan,
        imageName,
        family,
        report: (message) => reporter.emit({ type: "note", layer: layer.name, message }),
      });
    }
    return {
      id,
      driver: "gce",
      details: {
        selfLink: image.selfLink ?? "",
        imageId: numericId,
        name: imageName,
        ...(family === undefined ? {} : { family }),
        builder: instanceName,
      },
    };
  } finally {
    const failed = await cleanup.run();
    if (failed.length > 0) reporter.emit({ type: "note", layer: layer.name, message: cleanupReport(failed) });
  }
}

// Image labels: who made it and from what. Values are label-safe; the full story is in the description.
function imageLabels(input: BakeLayerInput, parentNumericId: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.plan.labels)) {
    const safeKey = labelValue(key);
    if (/^[a-z]/.test(safeKey) && !safeKey.startsWith("bake-")) labels[safeKey] = labelValue(value);
  }
  return {
    ...labels,
    [LABEL.lineage]: labelValue(input.plan.lineage),
    [LABEL.version]: labelValue(input.plan.version),
    [LABEL.layer]: labelValue(input.layer.name),
    [LABEL.parent]: labelValue(parentNumericId),
    [LABEL.run]: labelValue(input.runId),
  };
}

// The description carries the whole chain: this layer, then the parent's own chain when bake made it.
function description(
  input: BakeLayerInput,
  parent: { name: string; numericId: string },
  parentDescription: string,
): string {
  const self = `${input.plan.lineage} ${input.plan.version} [${input.layer.name}]`;
  const inherited = /^bake lineage: (.*?)(\n|$)/.exec(parentDescription)?.[1];
  const chain = `${self} <- ${inherited ?? `${parent.name}@${parent.numericId}`}`;
  const lines = [
    `bake lineage: ${chain}`,
    `from: ${input.plan.parent.ref}`,
    `parent: ${parent.name}@${parent.numericId}`,
    `recipe: ${input.plan.recipe.digest}`,
    `layer inputs: ${input.layer.inputsDigest}`,
    `run: ${input.runId}`,
  ];
  const text = lines.join("\n");
  return text.length <= DESCRIPTION_LIMIT ? text : `${text.slice(0, DESCRIPTION_LIMIT - 3)}...`;
}

/** The family of a lineage's final images: the `imageFamily` option, else the lineage. */
export function familyOf(lineage: string, options: { imageFamily?: string }): string {
  return options.imageFamily ?? resourceName([lineage]);
}

// A valid resource name that always keeps its unique suffix, however long the lineage, version and layer are.
function uniqueName(parts: string[], suffix: string): string {
  const head = resourceName(parts)
    .slice(0, 62 - suffix.length)
    .replace(/-+$/, "");
  return `${head}-${suffix}`;
}
