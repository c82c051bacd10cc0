import { createHash } from "node:crypto";
import type { Driver, DriverContext } from "../drivers/driver.js";
import type { ImageRecord, ParentLink } from "../manifest/types.js";
import type { BuildPlan } from "../plan/types.js";
import { canonicalJson } from "../util/canonical-json.js";
import type { RunnerManifest } from "./manifest-port.js";

/** A layer the cache already holds: its layer record and the artifact after it. */
export interface CachedLayer {
  record: ImageRecord;
  artifact: string;
}

/**
 * The longest prefix of layers whose cache keys have a layer record from this driver whose artifact still
 * exists. The first miss ends the prefix: a layer above a rebuilt one has a different key anyway.
 */
export async function findCachedPrefix(options: {
  keys: readonly string[];
  driver: Driver;
  manifest: RunnerManifest;
  ctx: DriverContext;
}): Promise<CachedLayer[]> {
  const prefix: CachedLayer[] = [];
  for (const key of options.keys) {
    const record = options.manifest.findLayer(key, options.driver.id);
    if (!record) break;
    const artifact = await options.driver.inspect(record.artifact, options.ctx);
    if (!artifact) break;
    prefix.push({ record, artifact: record.artifact });
  }
  return prefix;
}

/** A digest of what verify checks and how, stored on image records so an unchanged image is recognised. */
export function verifyDigest(plan: BuildPlan): string {
  return `sha256:${createHash("sha256").update(canonicalJson(plan.verify)).digest("hex")}`;
}

/**
 * A registered, verified, non-revoked image identical to what this plan would register: same lineage, driver,
 * parent, final artifact, version, labels and verify checks. When it exists the build has nothing to do.
 */
export function findUpToDate(options: {
  plan: BuildPlan;
  driver: string;
  parent: ParentLink;
  artifact: string;
  manifest: RunnerManifest;
}): ImageRecord | undefined {
  const { plan, manifest } = options;
  const checks = verifyDigest(plan);
  const labels = canonicalJson(plan.labels);
  // A parent rebuilt into the same artifact is a new record: the lineage must name it, so that is a new image.
  const parent = canonicalJson(options.parent);
  const matches = manifest
    .records()
    .filter(
      (record) =>
        record.kind === "image" &&
        record.lineage === plan.lineage &&
        record.driver === options.driver &&
        record.artifact === options.artifact &&
        record.version === plan.version &&
        canonicalJson(record.parent) === parent &&
        record.verify?.ok === true &&
        record.details?.verifyDigest === checks &&
        canonicalJson(record.labels ?? {}) === labels &&
        manifest.status(record.id).status !== "revoked",
    );
  return matches.at(-1);
}
