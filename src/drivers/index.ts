import { BakeError } from "../errors.js";
import { DRIVER_IDS } from "../plan/driver-ids.js";
import type { Driver } from "./driver.js";

/** Loads a driver lazily, so a command only pays for the driver it uses. */
export async function loadDriver(id: string): Promise<Driver> {
  if (!(DRIVER_IDS as readonly string[]).includes(id)) {
    throw new BakeError({
      code: "unknown-driver",
      message: `unknown driver "${id}"`,
      hint: `use one of: ${DRIVER_IDS.join(", ")}`,
    });
  }
  // Kept opaque to bundlers: vite (vitest) would glob `./*/index.js` and miss the `.ts` sources under test.
  const modulePath = `./${id}/index.js`;
  const module = (await import(/* @vite-ignore */ modulePath)) as { createDriver(): Driver };
  return module.createDriver();
}
