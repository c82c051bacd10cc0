import type { Manifest, OpenOptions } from "./api.js";
import { isStoreLocation } from "./location.js";
import { ManifestFile } from "./manifest-file.js";

export type { Ancestry, Manifest, OpenOptions } from "./api.js";

/**
 * Opens the manifest at `path`: a file, or a store location (`git+file:///srv/lineage.git#bake/lineage`,
 * `postgres://user@host/db?schema=bake`). Throws a BakeError for a newer format or an unreadable header.
 */
export async function openManifest(path: string, options: OpenOptions = {}): Promise<Manifest> {
  if (isStoreLocation(path)) return (await import("./store/open.js")).openStoreManifest(path, options);
  return ManifestFile.open(path, options);
}
