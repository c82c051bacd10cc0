import type { DriverContext, GroupStatus, ServerObservation, TemplateInfo } from "../drivers/driver.js";
import type { Reporter } from "../drivers/events.js";
import { collectGce, type GceGcReport } from "../drivers/gce/gc.js";
import { parseImageId } from "../drivers/gce/image-ref.js";
import { GceDriver } from "../drivers/gce/index.js";
import { LABEL } from "../drivers/gce/labels.js";
import type { GceSession } from "../drivers/gce/session.js";
import { observeServer } from "../fleet/observe.js";
import { collectServers } from "../fleet/servers.js";
import type { Manifest } from "../manifest/manifest.js";
import type { ImageRecord } from "../manifest/types.js";
import type { CommandIO } from "./io.js";

/**
 * What the gce parts of `bake gc`, `bake revoke`, `bake trace` and `bake fleet` call. Commands import this
 * module lazily, so the Google client loads only when a gce command runs.
 */

const quiet: Reporter = { emit: () => {}, close: async () => {} };

function context(io: CommandIO): DriverContext {
  return { cwd: io.cwd, env: io.env, signal: io.signal, reporter: quiet };
}

/** A session from a recipe's gce options, or from `BAKE_GCE_PROJECT` (and friends) when there is none. */
export function commandSession(
  io: CommandIO,
  options: { target?: Record<string, unknown>; anyZone?: boolean } = {},
): { session: GceSession; close: () => Promise<void> } {
  const driver = new GceDriver();
  const session = driver.session(context(io), {
    options: options.target ?? {},
    ...(options.anyZone === false ? {} : { defaults: { zone: "us-central1-a" } }),
  });
  return { session, close: () => driver.close() };
}

/** `bake gc --target gce`: deletes instances and disks that runs older than `olderThanMs` left behind. */
export async function gcGce(
  io: CommandIO,
  options: { olderThanMs: number; dryRun: boolean },
): Promise<GceGcReport> {
  const { session, close } = commandSession(io);
  try {
    return await collectGce(session, options);
  } finally {
    await close();
  }
}

/** The human summary of a gce gc report. */
export function gcSummary(report: GceGcReport): string {
  const verb = report.dryRun ? "would remove" : "removed";
  const lines = report.removed.map(
    (r) => `  ${r.kind} ${r.name} (${r.zone}, run ${r.runId}, created ${r.createdAt})\n`,
  );
  const failed = report.failed.map(
    (f) => `  could not remove ${f.resource.kind} ${f.resource.name}: ${f.error}\n`,
  );
  const instances = report.removed.filter((r) => r.kind === "instance").length;
  const disks = report.removed.length - instances;
  return `${lines.join("")}${failed.join("")}${verb} ${instances} instance${instances === 1 ? "" : "s"} and ${disks} disk${disks === 1 ? "" : "s"} left by bake runs in project ${report.project}\n`;
}

/** One image the revoke hook touched on Compute Engine. */
export interface DeprecatedImage {
  record: string;
  image: string;
  ok: boolean;
  error?: string;
}

/**
 * The gce side of `bake revoke`: every revoked gce image becomes DEPRECATED on Compute Engine (its family stops
 * serving it) and gets the `bake-revoked` label. Failures are returned, not thrown: the manifest is the truth.
 */
export async function deprecateRevoked(io: CommandIO, records: ImageRecord[]): Promise<DeprecatedImage[]> {
  const images = records.filter((record) => record.driver === "gce" && parseImageId(record.artifact));
  if (images.length === 0) return [];
  const { session, close } = commandSession(io, { target: { project: "bake-any-project" } });
  const results: DeprecatedImage[] = [];
  try {
    for (const record of images) {
      const id = parseImageId(record.artifact);
      if (!id) continue;
      try {
        await session.deprecateImage({ project: id.project, name: id.name, state: "DEPRECATED" });
        await session.mergeImageLabels(id.project, id.name, { [LABEL.revoked]: "true" });
        results.push({ record: record.id, image: id.name, ok: true });
      } catch (error) {
        results.push({
          record: record.id,
          image: id.name,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  } finally {
    await close();
  }
  return results;
}

/** Every server of the project and its exact image, for `bake fleet`. */
export async function gceServers(
  io: CommandIO,
  target?: Record<string, unknown>,
): Promise<ServerObservation[]> {
  const { driver, ctx } = commandDriver(io, target);
  try {
    return await collectServers(driver, ctx);
  } finally {
    await driver.close();
  }
}

/** Every managed group of the project, and the instance templates, for `bake fleet`. */
export async function gceGroups(
  io: CommandIO,
  target?: Record<string, unknown>,
): Promise<{ groups: GroupStatus[]; templates: TemplateInfo[] }> {
  const { driver, ctx } = commandDriver(io, target);
  try {
    const groups = await driver.fleet.groups(ctx);
    return { groups, templates: groups.length > 0 ? await driver.fleet.templates(ctx) : [] };
  } finally {
    await driver.close();
  }
}

/**
 * The gce driver for a fleet command, with the recipe's target options when one is given (else the environment's
 * `BAKE_GCE_PROJECT` and friends), and the context its calls take.
 */
export function commandDriver(
  io: CommandIO,
  target?: Record<string, unknown>,
  reporter: Reporter = quiet,
): { driver: GceDriver; ctx: DriverContext } {
  const driver = new GceDriver();
  if (target) driver.prepare({ driver: "gce", options: target });
  return { driver, ctx: { ...context(io), reporter } };
}

/**
 * For `bake trace SERVER --target gce`: finds the instance, records an `observe` event for the image record its
 * boot disk came from, and returns whether it did (the trace then starts from that observation).
 */
export async function observeGceServer(manifest: Manifest, name: string, io: CommandIO): Promise<boolean> {
  return observeServer(manifest, await gceServers(io), name, "gce");
}
