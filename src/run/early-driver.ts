import type { Driver } from "../drivers/driver.js";
import { loadDriver } from "../drivers/index.js";
import { parseParent } from "../plan/parent.js";
import type { ParentSpec } from "../plan/types.js";
import type { Recipe } from "../recipe/types.js";

/** A build's driver, loaded as soon as the build knows which it is. */
export interface EarlyDriver {
  /** For `planRecipe`'s `onLoaded`: loads the recipe's driver and starts its prefetch while planning goes on. */
  onLoaded(recipe: Recipe): void;
  /** The driver the plan names: the instance loaded early when it is the same one, else a fresh one. */
  driver(id: string): Promise<Driver>;
}

/**
 * Overlaps a build's fixed start-up costs with planning: the driver's code loads, and its slow lookups (Packer's
 * version check, `docker image inspect` of the parent) start, once the recipe is loaded, or at once when `--target`
 * names the driver. Values that interpolate variables are not known yet and are left to the build itself.
 */
export function earlyDriver(options: {
  /** The `--target` override, if any. */
  target?: string;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}): EarlyDriver {
  let loaded: { id: string; driver: Promise<Driver> } | undefined;
  const load = (id: string): Promise<Driver> => {
    if (loaded?.id !== id) {
      const driver = loadDriver(id);
      // An unknown driver is reported by compile() with the recipe's location; the plan asks again.
      driver.catch(() => undefined);
      loaded = { id, driver };
    }
    return loaded.driver;
  };
  if (options.target !== undefined) load(options.target);
  return {
    onLoaded(recipe) {
      const id = options.target ?? recipe.target.driver;
      // Options are kept only for the recipe's own driver (as compile() does), and only when free of variables.
      const targetOptions = id === recipe.target.driver ? recipe.target.options : {};
      if (JSON.stringify(targetOptions).includes("${")) return;
      const parent = recipe.from.includes("${") ? undefined : parentOf(recipe);
      load(id)
        .then((driver) =>
          driver.prefetch?.({
            target: { driver: id, options: targetOptions },
            ...(parent ? { parent } : {}),
            cwd: options.cwd,
            env: options.env,
          }),
        )
        .catch(() => undefined);
    },
    async driver(id) {
      const driver = await load(id);
      loaded = undefined;
      return driver;
    },
  };
}

// compile() reports a bad `from:` with its location; here it only means there is nothing to start.
function parentOf(recipe: Recipe): ParentSpec | undefined {
  try {
    return parseParent(recipe.from, recipe.source.root);
  } catch {
    return undefined;
  }
}
