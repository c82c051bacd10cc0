import type { Manifest } from "./api.js";
import type { ImageRecord, Publication } from "./types.js";

/** The record an image digest names, and how it was found. */
export interface DigestMatch {
  record: ImageRecord;
  /** `published`: a registry digest from a `publish` event; `artifact`: the digest the record's driver made. */
  via: "published" | "artifact";
  /** The push that gave the digest, when found through one. */
  publication?: Publication;
}

/**
 * The record an image digest belongs to: the digest a registry holds after a push (its `publish` event, the newest
 * first), or else the artifact a driver made (an image record before a layer record, the newest first).
 * One lookup for everything that starts from what a registry, a container runtime or a cloud reports:
 * `bake trace REGISTRY/REPO@sha256:...`, REF lookups and fleet lookups.
 */
export function findByImageDigest(
  manifest: Pick<Manifest, "published" | "get" | "records">,
  digest: string,
): DigestMatch | undefined {
  if (digest === "") return undefined;
  for (const publication of manifest.published(digest).reverse()) {
    const record = manifest.get(publication.target);
    if (record) return { record, via: "published", publication };
  }
  const makers = manifest.records().filter((record) => record.artifact === digest);
  const record = makers.findLast((r) => r.kind === "image") ?? makers.at(-1);
  return record ? { record, via: "artifact" } : undefined;
}
