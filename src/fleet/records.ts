import type { Manifest } from "../manifest/manifest.js";
import type { ImageRecord } from "../manifest/types.js";

/** The record whose artifact a server's image is: an image record first, else a layer record. */
export function recordForArtifact(manifest: Manifest, artifact: string): ImageRecord | undefined {
  if (!artifact) return undefined;
  const matches = manifest.records().filter((record) => record.artifact === artifact);
  return matches.find((record) => record.kind === "image") ?? matches[matches.length - 1];
}

/**
 * The record of an image named without its numeric id (`projects/P/global/images/NAME`, as a template names it):
 * the newest record whose artifact is that image.
 */
export function recordForImagePath(manifest: Manifest, path: string): ImageRecord | undefined {
  if (!path) return undefined;
  const matches = manifest
    .records()
    .filter((record) => record.kind === "image" && record.artifact.split("@")[0] === path);
  return matches[matches.length - 1];
}
