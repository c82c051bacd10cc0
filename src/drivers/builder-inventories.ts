import { BakeError } from "../errors.js";
import type { GuestInventoryReader } from "../inventory/guest-report.js";
import type { PackageInventory } from "../inventory/types.js";

/**
 * The inventories that builders reported in this process (packer, gce: their last layer's inventory step), by the
 * image each made, for the driver's `inventory` to return once the runner asks.
 */
export class BuilderInventories {
  private readonly taken = new Map<string, { inventory: PackageInventory } | { error: unknown }>();

  /** Keeps what a finished builder's report says about `artifactId`: its packages, or why there are none. */
  async record(artifactId: string, reader: GuestInventoryReader): Promise<void> {
    const result = await reader.inventory().then(
      (inventory) => ({ inventory }),
      (error: unknown) => ({ error }),
    );
    this.taken.set(artifactId, result);
  }

  /** Whether a report (good or bad) was kept for the image. */
  has(artifactId: string): boolean {
    return this.taken.has(artifactId);
  }

  /**
   * The packages reported for an image. An image whose last layer came from the cache had no inventory step in
   * this process, so it has none (the runner records a warning, never fails the build).
   */
  get(artifactId: string): PackageInventory {
    const taken = this.taken.get(artifactId);
    if (!taken) {
      throw new BakeError({
        code: "inventory-not-taken",
        message: "the image's last layer came from the cache, so no inventory step ran on its builder",
        hint: "build with --no-cache to take one",
      });
    }
    if ("error" in taken) throw taken.error;
    return taken.inventory;
  }
}
