import type { Manifest, OpenOptions } from "./api.js";
import { ManifestFile } from "./manifest-file.js";

export type { Ancestry, Manifest, OpenOptions } from "./api.js";

/** Opens the manifest at `path`. Throws a BakeError for a newer format or an unreadable header. */
export async function openManifest(path: string, options: OpenOptions = {}): Promise<Manifest> {
  return ManifestFile.open(path, options);
}
