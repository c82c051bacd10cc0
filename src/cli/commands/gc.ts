import { collectGarbage, type GcReport, recordRoots } from "../../drivers/local/gc.js";
import { storePath } from "../../drivers/local/options.js";
import { Store } from "../../drivers/local/store.js";
import { forgetManifest, knownManifests } from "../../drivers/local/store-manifests.js";
import { BakeError, ExitCode, isBakeError } from "../../errors.js";
import { manifestPath } from "../../manifest/location.js";
import { type Manifest, openManifest } from "../../manifest/manifest.js";
import type { CommandRun } from "../io.js";

/**
 * `bake gc [--dry-run] [--json]`: removes what killed runs left in the local store (only runs whose process is
 * gone) and the images, blobs and unpacked layers no record of the lineage manifest references.
 */
export const run: CommandRun = async ({ values }, io) => {
  const target = typeof values.target === "string" ? values.target : "local";
  if (target === "gce") {
    // Cloud leftovers: instances and disks labelled by runs older than --older-than (default 1h).
    const gce = await import("../gce-commands.js");
    const olderThan = values["older-than"];
    const report = await gce.gcGce(io, {
      olderThanMs: typeof olderThan === "string" ? parseDuration(olderThan) : 3_600_000,
      dryRun: values["dry-run"] === true,
    });
    io.stdout.write(values.json === true ? `${JSON.stringify(report)}\n` : gce.gcSummary(report));
    return report.failed.length > 0 ? ExitCode.Failed : ExitCode.Ok;
  }
  if (target !== "local") {
    throw new BakeError({
      code: "usage",
      message: `gc: the ${target} target has nothing to collect here`,
      hint: "bake gc collects the local driver's store; cloud targets clean up through their own drivers",
    });
  }
  const olderThanMs = typeof values["older-than"] === "string" ? parseDuration(values["older-than"]) : 0;
  const path = manifestPath({
    flag: typeof values.manifest === "string" ? values.manifest : undefined,
    env: io.env,
    cwd: io.cwd,
  });
  // Every image no record references is removed, so the records must all be there and be bake's: a missing (or
  // mistyped) manifest is not read as an empty lineage, and an edited one is not trusted to name every image.
  const manifest = await openManifest(path, { mustExist: true, verify: true });
  const store = await Store.open(storePath({ env: io.env, cwd: io.cwd }));
  const dryRun = values["dry-run"] === true;
  const others = await otherManifests(store.root, manifest.path, { env: io.env, dryRun });
  const report = await collectGarbage({
    store,
    roots: [manifest, ...others.opened].flatMap((each) => recordRoots(each.records())),
    dryRun,
    olderThanMs,
  });
  const manifests = [manifest.path, ...others.opened.map((each) => each.path)];
  if (values.json === true) {
    const forgotten = others.gone;
    io.stdout.write(
      `${JSON.stringify({ store: store.root, manifest: manifest.path, manifests, forgotten, ...report })}\n`,
    );
  } else {
    for (const gone of others.gone)
      io.stdout.write(`${dryRun ? "would forget" : "forgot"} ${gone}: it no longer exists\n`);
    io.stdout.write(summary(report, store.root));
  }
  return ExitCode.Ok;
};

/**
 * The other manifests that record images of the store (each build leaves its manifest's location there), opened
 * and verified: their records are kept too. One that no longer exists is forgotten (its images are collected); one
 * that cannot be read or does not verify stops the collection, since it may name any image.
 */
async function otherManifests(
  root: string,
  given: string,
  options: { env: Readonly<Record<string, string | undefined>>; dryRun: boolean },
): Promise<{ opened: Manifest[]; gone: string[] }> {
  const opened: Manifest[] = [];
  const gone: string[] = [];
  for (const known of knownManifests(root)) {
    if (known.location === given) continue;
    try {
      opened.push(await openManifest(known.location, { env: options.env, mustExist: true, verify: true }));
    } catch (error) {
      if (isBakeError(error) && error.code === "manifest-missing") {
        gone.push(known.location);
        if (!options.dryRun) forgetManifest(known);
        continue;
      }
      throw new BakeError({
        code: "gc-manifest-unreadable",
        message: `gc: the store ${root} also holds images recorded in ${known.location}, which cannot be read: ${isBakeError(error) ? error.message : (error as Error).message}`,
        hint: `nothing was removed. Fix that manifest (\`bake fsck --manifest ${known.location}\`), or, if it is gone for good, delete ${known.file}`,
        cause: error,
      });
    }
  }
  return { opened, gone };
}

function summary(report: GcReport, root: string): string {
  const verb = report.dryRun ? "would remove" : "removed";
  const parts = [
    count(report.runs.length, "run directory", "run directories"),
    count(report.temps.length, "temp file", "temp files"),
    count(report.indexEntries.length, "unreferenced image", "unreferenced images"),
    `${count(report.blobs.length, "blob", "blobs")} (${(report.bytes / 1024 / 1024).toFixed(1)} MiB)`,
    count(report.layerDirs.length, "unpacked layer", "unpacked layers"),
  ];
  const lines = report.runs.map((run) => `  run ${run.runId}${run.pid ? ` (pid ${run.pid} is gone)` : ""}\n`);
  return `${lines.join("")}${verb} ${parts.join(", ")} from ${root}\n`;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) {
    throw new BakeError({
      code: "usage",
      message: `gc: --older-than takes a duration such as 30m, 6h or 2d, not "${text}"`,
    });
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    match[2] as "ms" | "s" | "m" | "h" | "d"
  ];
  return Number(match[1]) * unit;
}
