import { findByImageDigest } from "../manifest/image-digest.js";
import type { Manifest } from "../manifest/manifest.js";
import type { ImageRecord } from "../manifest/types.js";

/** The record a server's image is: one lookup for every digest a platform reports (see findByImageDigest). */
export function recordForArtifact(manifest: Manifest, artifact: string): ImageRecord | undefined {
  return findByImageDigest(manifest, artifact)?.record;
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
