import type { Artifact, Driver, DriverContext } from "../drivers/driver.js";
import type { SideData } from "../manifest/side-data.js";
import type { BuildPlan } from "../plan/types.js";

/** An inventory being taken: `store` waits for it and stores it once the image has passed verification. */
export interface PendingInventory {
  /** Stores the document and returns the record details that refer to it (none when there is no inventory). */
  store(): Promise<Record<string, string>>;
  /** Waits for the taking to end without storing anything (the build failed). */
  settle(): Promise<void>;
}

/**
 * Starts taking a built image's package inventory (when the driver can read one) as a CycloneDX document. It can
 * run beside verification: reading and serializing is CPU work in this process while verification mostly waits on
 * a sandbox or a machine, and nothing is stored until `store`, so a failed verification leaves no document behind.
 * `store` puts it in the manifest's side data and returns `sbom` (its digest) and `packages` (how many). An
 * inventory that cannot be read costs a warning, never the build: the image itself is verified.
 */
export function startInventory(
  plan: BuildPlan,
  options: { driver: Driver; ctx: DriverContext; image: Artifact; runId: string; sideData?: SideData },
): PendingInventory {
  const { driver, ctx, sideData } = options;
  if (!driver.inventory || !sideData) return { store: async () => ({}), settle: async () => {} };
  if (!nodeHasCycloneDx(process.versions.node)) {
    return {
      store: async () => {
        ctx.reporter.emit({
          type: "note",
          message: `warning: no package inventory recorded: it needs Node.js >= 20.18 (this is ${process.versions.node})`,
        });
        return {};
      },
      settle: async () => {},
    };
  }
  const inventory = driver.inventory;
  // Never rejects: a failure is kept as its reason, so a build that fails meanwhile leaves no unhandled rejection.
  const taken = (async () => {
    // Loaded only when an inventory is taken: the CycloneDX library is large and most commands never need it.
    const { cycloneDxJson } = await import("../inventory/cyclonedx.js");
    const found = await inventory.call(driver, { ...ctx, plan, image: options.image, runId: options.runId });
    const document = cycloneDxJson(found, {
      lineage: plan.lineage,
      version: plan.version,
      artifact: options.image.id,
    });
    return { document, count: found.packages.length };
  })().then(
    (value) => ({ ok: true as const, ...value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return {
    settle: async () => {
      await taken;
    },
    store: async (): Promise<Record<string, string>> => {
      const result = await taken;
      try {
        if (!result.ok) throw result.error;
        const sbom = await sideData.put(result.document);
        ctx.reporter.emit({ type: "note", message: `inventory: ${result.count} packages (${sbom})` });
        return { sbom, packages: String(result.count) };
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        ctx.reporter.emit({ type: "note", message: `warning: no package inventory recorded: ${reason}` });
        return {};
      }
    },
  };
}

/** `@cyclonedx/cyclonedx-library` 10 needs Node.js 20.18 or later; bake itself runs on 20.5. */
export function nodeHasCycloneDx(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 20 || (major === 20 && minor >= 18);
}
