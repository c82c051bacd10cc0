import type { Manifest, OpenOptions } from "./api.js";
import { isStoreLocation } from "./location.js";
import { ManifestFile } from "./manifest-file.js";

export type { Ancestry, Manifest, OpenOptions } from "./api.js";
export { manifestFromText, type TextOptions } from "./text-manifest.js";

/**
 * Opens the manifest at `path`: a file, or a store location (`git+file:///srv/lineage.git#bake/lineage`,
 * `postgres://user@host/db?schema=bake`), and indexes it without holding up the event loop (unless `lazy`).
 * Throws a BakeError for a newer format or an unreadable header; `manifest-missing` when there is no manifest there,
 * unless `create` or `mustExist: false` is given; `manifest-chain-broken` with `verify` when a line was tampered with.
 */
export async function openManifest(path: string, options: OpenOptions = {}): Promise<Manifest> {
  if (isStoreLocation(path)) return (await import("./store/open.js")).openStoreManifest(path, options);
  return ManifestFile.open(path, options);
}
