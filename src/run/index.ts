/**
 * `@bakehq/bake/run`: build a plan with a driver, verify the image and register it in a manifest.
 *
 * Everything that starts processes or talks to a cloud (the drivers, execa, the Google client, listr2) loads on
 * the first call, and only for the driver asked for.
 *
 * @module @bakehq/bake/run
 */
import type * as Drivers from "../drivers/index.js";
import type * as Emit from "../drivers/packer/emit.js";
import type * as Execute from "./execute.js";
import type * as Reporters from "./reporters/index.js";

export type * from "../drivers/driver.js";
export type { BuildEvent, Reporter } from "../drivers/events.js";
export type { Ecosystem, InstalledPackage, OsRelease, PackageInventory } from "../inventory/types.js";
export type { TextOut } from "../util/text-out.js";
export type { ExecuteOptions, ExecuteResult } from "./execute.js";
export type { RunnerManifest } from "./manifest-port.js";
export { type ReporterMode, reporterMode } from "./reporters/mode.js";

/**
 * Load a driver by id (`local`, `packer` or `gce`), loading only that driver's code. The `gce` driver needs the
 * optional peer dependency `@google-cloud/compute`.
 *
 * @throws BakeError `unknown-driver` for another id.
 *
 * @function
 */
export const loadDriver: typeof Drivers.loadDriver = async (...args) =>
  (await import("../drivers/index.js")).loadDriver(...args);

/**
 * Run a build plan: resolve the parent to an exact image, reuse the longest cached prefix of layers, bake the
 * rest, verify the final image on a fresh instance and only then register the image record.
 *
 * @throws BuildFailedError (exit code 1) when a step or a check fails, InterruptedError (130) when the signal
 * aborts, and BakeError (2) for a parent that cannot be used. Nothing is registered then.
 *
 * @function
 */
export const execute: typeof Execute.execute = async (...args) =>
  (await import("./execute.js")).execute(...args);

/**
 * Create a reporter that shows build events (`tty`, `plain` or `json`) and prints every secret value as `***`.
 *
 * @function
 */
export const createReporter: typeof Reporters.createReporter = async (...args) =>
  (await import("./reporters/index.js")).createReporter(...args);

/**
 * Write one Packer template per layer and `verify.pkr.json` into `outDir`, with their scripts and every copy
 * source, for a plan whose target is `packer`; resolves to the files written, templates first in build order.
 *
 * @function
 */
export const emitPackerTemplates: typeof Emit.emitPackerTemplates = async (...args) =>
  (await import("../drivers/packer/emit.js")).emitPackerTemplates(...args);
