/** An exact Compute Engine image: its name can be reused after deletion, its numeric id cannot. */
export interface ImageId {
  project: string;
  name: string;
  numericId: string;
}

/** The artifact id bake records for an image: `projects/P/global/images/NAME@NUMERICID`. */
export function formatImageId(image: ImageId): string {
  return `projects/${image.project}/global/images/${image.name}@${image.numericId}`;
}

/** Reads an artifact id written by {@link formatImageId}. */
export function parseImageId(id: string): ImageId | undefined {
  const match = /^projects\/([^/]+)\/global\/images\/([^/@]+)@(\d+)$/.exec(id);
  if (!match) return undefined;
  return { project: match[1] as string, name: match[2] as string, numericId: match[3] as string };
}

/** Where an image reference points: a family (floating) or one named image. */
export type ImageReference = { project: string; family: string } | { project: string; name: string };

/**
 * Reads `projects/P/global/images/family/F`, `projects/P/global/images/NAME`, or the same as a full
 * `https://www.googleapis.com/compute/v1/...` self link.
 */
export function parseImageReference(location: string): ImageReference | undefined {
  const path = location.replace(/^https:\/\/[^/]+\/compute\/v1\//, "").replace(/^gce:/, "");
  const family = /^projects\/([^/]+)\/global\/images\/family\/([a-z]([-a-z0-9]*[a-z0-9])?)$/.exec(path);
  if (family) return { project: family[1] as string, family: family[2] as string };
  const named = /^projects\/([^/]+)\/global\/images\/([a-z]([-a-z0-9]*[a-z0-9])?)$/.exec(path);
  if (named) return { project: named[1] as string, name: named[2] as string };
  return undefined;
}

/** `projects/P/global/images/NAME` from a self link, for comparing disks' `sourceImage` with artifact ids. */
export function imagePath(selfLink: string): string {
  return selfLink.replace(/^https:\/\/[^/]+\/compute\/v1\//, "");
}
