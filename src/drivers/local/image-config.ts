import type { BuildPlan, PlannedLayer } from "../../plan/types.js";
import type { CapturedLayer } from "./layer-tar.js";
import { type Descriptor, type ImageConfig, type ImageManifest, LABELS, MEDIA } from "./oci.js";
import { applyRuntimeConfig } from "./runtime-config.js";
import type { StoredImage } from "./store.js";

/** The PATH an image gets when its base says nothing. */
export const DEFAULT_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"];

/** `created` for reproducible configs: SOURCE_DATE_EPOCH, else the epoch. */
export function isoTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/**
 * The config of a parent image plus one layer: diff id and history entry appended, labels of the plan (lineage,
 * version, layer name, recipe labels) and the standard OCI annotations over the parent's. The plan's runtime
 * `config` is applied to the last layer only, whose image is the one the recipe describes (its inputs digest covers
 * the config). Deterministic for the same inputs.
 */
export function childConfig(input: {
  parent: StoredImage;
  plan: BuildPlan;
  layer: PlannedLayer;
  captured: CapturedLayer;
  epoch: number;
  /** Whether this is the plan's last layer. */
  last: boolean;
  annotations: Record<string, string>;
}): ImageConfig {
  const { parent, plan, layer, captured } = input;
  const created = isoTime(input.epoch);
  const inherited = { ...parent.config.config, Env: parent.config.config?.Env ?? DEFAULT_ENV };
  const runtime = applyRuntimeConfig(inherited, input.last ? plan.config : undefined);
  return {
    created,
    architecture: parent.config.architecture,
    os: parent.config.os,
    config: {
      ...runtime,
      Labels: {
        ...runtime.Labels,
        ...plan.labels,
        ...input.annotations,
        [LABELS.lineage]: plan.lineage,
        [LABELS.version]: plan.version,
        [LABELS.layer]: layer.name,
      },
    },
    rootfs: { type: "layers", diff_ids: [...parent.config.rootfs.diff_ids, captured.diffId] },
    history: [
      ...(parent.config.history ?? []),
      {
        created,
        created_by: `bake ${plan.lineage} ${plan.version} layer ${layer.name}: ${layer.steps.map((step) => step.title).join("; ")}`,
        comment: `bake layer ${layer.name} (inputs ${layer.inputsDigest})`,
      },
    ],
  };
}

/** The manifest of a parent image plus one layer, with the standard annotations over the parent's. */
export function childManifest(input: {
  parent: StoredImage;
  config: { digest: string; size: number };
  captured: CapturedLayer;
  annotations: Record<string, string>;
}): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: input.config.digest, size: input.config.size },
    layers: [
      ...input.parent.manifest.layers.map(ociLayer),
      { mediaType: MEDIA.layerGzip, digest: input.captured.digest, size: input.captured.size },
    ],
    annotations: { ...input.parent.manifest.annotations, ...input.annotations },
  };
}

// A Docker layer descriptor (from a registry base) becomes its OCI twin: the bytes are the same, and an OCI
// manifest may name only OCI layer types.
function ociLayer(layer: Descriptor): Descriptor {
  const twin: Record<string, string> = {
    [MEDIA.dockerLayerGzip]: MEDIA.layerGzip,
    "application/vnd.docker.image.rootfs.diff.tar": MEDIA.layerTar,
  };
  return { ...layer, mediaType: twin[layer.mediaType] ?? layer.mediaType };
}
