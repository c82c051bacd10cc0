import type { Artifact, Driver, DriverContext } from "../drivers/driver.js";
import type { SideData } from "../manifest/side-data.js";
import type { BuildPlan } from "../plan/types.js";

/**
 * Takes a verified image's package inventory (when the driver can read one), stores it as a CycloneDX document in
 * the manifest's side data and returns the record details that refer to it: `sbom` (its digest) and `packages`
 * (how many). An inventory that cannot be read costs a warning, never the build: the image itself is verified.
 */
export async function inventoryDetails(
  plan: BuildPlan,
  options: { driver: Driver; ctx: DriverContext; image: Artifact; runId: string; sideData?: SideData },
): Promise<Record<string, string>> {
  const { driver, ctx, sideData } = options;
  if (!driver.inventory || !sideData) return {};
  if (!nodeHasCycloneDx(process.versions.node)) {
    ctx.reporter.emit({
      type: "note",
      message: `warning: no package inventory recorded: it needs Node.js >= 20.18 (this is ${process.versions.node})`,
    });
    return {};
  }
  try {
    // Loaded only when an inventory is taken: the CycloneDX library is large and most commands never need it.
    const { cycloneDxJson } = await import("../inventory/cyclonedx.js");
    const inventory = await driver.inventory({ ...ctx, plan, image: options.image, runId: options.runId });
    const document = cycloneDxJson(inventory, {
      lineage: plan.lineage,
      version: plan.version,
      artifact: options.image.id,
    });
    const sbom = await sideData.put(document);
    ctx.reporter.emit({
      type: "note",
      message: `inventory: ${inventory.packages.length} packages (${sbom})`,
    });
    return { sbom, packages: String(inventory.packages.length) };
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    ctx.reporter.emit({ type: "note", message: `warning: no package inventory recorded: ${reason}` });
    return {};
  }
}

/** `@cyclonedx/cyclonedx-library` 10 needs Node.js 20.18 or later; bake itself runs on 20.5. */
export function nodeHasCycloneDx(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 20 || (major === 20 && minor >= 18);
}
