import { collectGarbage, type GcReport, recordRoots } from "../../drivers/local/gc.js";
import { storePath } from "../../drivers/local/options.js";
import { Store } from "../../drivers/local/store.js";
import { BakeError, ExitCode } from "../../errors.js";
import { manifestPath } from "../../manifest/location.js";
import { openManifest } from "../../manifest/manifest.js";
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
  const report = await collectGarbage({
    store,
    roots: recordRoots(manifest.records()),
    dryRun: values["dry-run"] === true,
    olderThanMs,
  });
  if (values.json === true)
    io.stdout.write(`${JSON.stringify({ store: store.root, manifest: manifest.path, ...report })}\n`);
  else io.stdout.write(summary(report, store.root));
  return ExitCode.Ok;
};

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
