import { BakeError } from "../errors.js";
import { DRIVER_IDS, type DriverId } from "../plan/driver-ids.js";
import type { Driver } from "./driver.js";

// A literal `import()` per driver: the CLI bundle gives each its own chunk, and vitest resolves the `.ts` sources.
const LOADERS: Record<DriverId, () => Promise<{ createDriver(): Driver }>> = {
  local: () => import("./local/index.js"),
  packer: () => import("./packer/index.js"),
  gce: () => import("./gce/index.js"),
};

/** Loads a driver lazily, so a command only pays for the driver it uses. */
export async function loadDriver(id: string): Promise<Driver> {
  if (!(DRIVER_IDS as readonly string[]).includes(id)) {
    throw new BakeError({
      code: "unknown-driver",
      message: `unknown driver "${id}"`,
      hint: `use one of: ${DRIVER_IDS.join(", ")}`,
    });
  }
  const module = await LOADERS[id as DriverId]();
  return module.createDriver();
}
