import type { Driver, DriverContext, ResolvedImage } from "../drivers/driver.js";
import { BakeError } from "../errors.js";
import type { ParentLink } from "../manifest/types.js";
import type { BuildPlan } from "../plan/types.js";
import type { RunnerManifest } from "./manifest-port.js";

/** The parent a build starts from, as the driver and as the manifest see it. */
export interface ResolvedParent {
  /** What the driver builds on: the reference as written and the exact artifact id. */
  image: ResolvedImage;
  /** What records link to: the lineage parent's image record, or the external base with its exact id. */
  link: ParentLink;
  warnings: string[];
}

/**
 * Turns the plan's parent into an exact image. A lineage parent comes from the manifest (revoked ones are
 * refused, and its artifact must be from this driver and still exist); an external parent is the driver's to resolve.
 */
export async function resolveParent(
  plan: BuildPlan,
  options: {
    driver: Driver;
    manifest: RunnerManifest;
    ctx: DriverContext;
    /** A record id to use instead of resolving the lineage reference (a tree build's exact parent). */
    pinned?: string;
  },
): Promise<ResolvedParent> {
  const { driver, manifest, ctx } = options;
  if (plan.parent.kind === "external") {
    const image = await driver.resolve(plan.parent, ctx);
    return { image, link: { external: { ref: image.ref, id: image.id } }, warnings: image.warnings ?? [] };
  }
  const ref = plan.parent.ref;
  const record = manifest.resolve(options.pinned ?? ref);
  const warnings: string[] = [];
  const status = manifest.status(record.id);
  const label = `${record.lineage} ${record.version}${record.build === undefined ? "" : ` build ${record.build}`}`;
  if (status.status === "revoked") {
    throw new BakeError({
      code: "parent-revoked",
      message: `parent "${ref}" resolves to ${label} (${record.id.slice(0, 19)}), which is revoked${status.reason ? `: ${status.reason}` : ""}`,
      hint: `build and promote a fixed ${record.lineage} image, or point "from:" at an image that is not revoked`,
    });
  }
  if (status.status === "deprecated") {
    warnings.push(`parent ${label} is deprecated${status.reason ? `: ${status.reason}` : ""}`);
  }
  if (record.driver !== driver.id) {
    throw new BakeError({
      code: "parent-driver-mismatch",
      message: `parent "${ref}" is a ${record.driver} image, but this build uses the ${driver.id} driver`,
      hint: `build ${record.lineage} with --target ${driver.id} first, or build this recipe with --target ${record.driver}`,
    });
  }
  const artifact = await driver.inspect(record.artifact, ctx);
  if (!artifact) {
    throw new BakeError({
      code: "parent-missing",
      message: `parent "${ref}" (${label}) is recorded, but its ${driver.id} image ${record.artifact} no longer exists`,
      hint: `rebuild ${record.lineage} (bake build on its recipe), then build this recipe again`,
    });
  }
  return {
    image: { ref, id: record.artifact, details: { parentRecord: record.id } },
    link: { record: record.id },
    warnings,
  };
}
