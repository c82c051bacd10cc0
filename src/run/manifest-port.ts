import type { ImageRecord, ImageStatus, ManifestEvent, NewEvent, NewRecord } from "../manifest/types.js";

/**
 * The part of the lineage manifest the runner uses. The real `Manifest` satisfies it; tests may pass a small
 * in-memory one. Drivers never see it.
 */
export interface RunnerManifest {
  /** Where the manifest is (a path or a store URL), when it has a location: drivers with a store remember it. */
  readonly path?: string;
  records(): readonly ImageRecord[];
  /** Resolves `name`, `name@channel`, `name@version`, `name#build` or an id; throws a BakeError otherwise. */
  resolve(ref: string): ImageRecord;
  /** The newest layer record with this cache key made by this driver. */
  findLayer(cacheKey: string, driver: string): ImageRecord | undefined;
  register(input: NewRecord): Promise<ImageRecord>;
  status(id: string): Pick<ImageStatus, "status" | "reason">;
  /** Appends an event; needed only to record the pushes of a plan with `publish`. */
  appendEvent?(input: NewEvent): Promise<ManifestEvent>;
}
