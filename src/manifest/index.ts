/**
 * `@bakehq/bake/manifest`: open, read, append to and check a lineage manifest (a JSONL file, a git ref or a
 * PostgreSQL schema). The readers and the store clients load on the first call.
 *
 * @module @bakehq/bake/manifest
 */
import type * as Fsck from "./fsck.js";
import type * as Open from "./manifest.js";

export type { Ancestry, Manifest, OpenOptions } from "./api.js";
export type { FsckProblem, FsckReport } from "./fsck.js";
export {
  DEFAULT_MANIFEST_FILE,
  displayLocation,
  isStoreLocation,
  type ManifestLocation,
  manifestPath,
  parseLocation,
} from "./location.js";
export type { SideData } from "./side-data.js";
export type { TextOptions } from "./text-manifest.js";
export type * from "./types.js";

/**
 * Open the manifest at `path`: a file, or a store location (`git+file:///srv/lineage.git#bake/lineage`,
 * `postgres://user@host/db?schema=bake`).
 *
 * @throws BakeError for a newer format or an unreadable header.
 *
 * @function
 */
export const openManifest: typeof Open.openManifest = async (...args) =>
  (await import("./manifest.js")).openManifest(...args);

/**
 * Re-read a manifest file and check every line: JSON, schema, ids against content, canonical bytes, the chain of
 * hashes, parent and layer links, build order and event targets. Resolves to a report; never throws for a
 * damaged manifest.
 *
 * @function
 */
export const checkManifest: typeof Fsck.checkManifest = async (...args) =>
  (await import("./fsck.js")).checkManifest(...args);

/**
 * Read a manifest from its text or bytes (fetched from an artifact store, `git show` or HTTP), read-only:
 * `register` and `appendEvent` reject with `manifest-read-only`. `verify: true` checks every line's hash and the chain.
 *
 * @function
 */
export const manifestFromText: typeof Open.manifestFromText = async (...args) =>
  (await import("./manifest.js")).manifestFromText(...args);
