import { availableParallelism } from "node:os";
import { ExitCode, isBakeError } from "../../errors.js";
import { isStoreLocation, manifestPath } from "../../manifest/location.js";
import { openManifest } from "../../manifest/manifest.js";
import { inventorySideData } from "../../manifest/side-data.js";
import { checkWritable } from "../../manifest/write-failure.js";
import { renderDiagnostics } from "../../recipe/diagnostics.js";
import { reporterMode } from "../../run/reporters/index.js";
import { newRunId } from "../../run/run-id.js";
import { executeTree, type TreeRecipeResult } from "../../run/tree/execute-tree.js";
import { findOutdated } from "../../run/tree/outdated.js";
import { planTree } from "../../run/tree/plan-tree.js";
import { createTreeProgress } from "../../run/tree/progress.js";
import { printable } from "../../util/printable.js";
import { styleFor } from "../../util/style.js";
import type { CommandIO, OptionValues } from "../io.js";
import { requestedJobs } from "../jobs.js";
import { loadTreeForCommand } from "../tree/load.js";

/**
 * `bake build DIR|RECIPE...|PATTERN`: builds a tree of recipes in dependency order, in parallel where independent,
 * each child on the exact record its parent got in this run. Exit 1 when any recipe failed, 130 when interrupted.
 */
export async function buildTree(inputs: string[], values: OptionValues, io: CommandIO): Promise<number> {
  const json = values.json === true;
  const path = manifestPath({
    ...(typeof values.manifest === "string" ? { flag: values.manifest } : {}),
    env: io.env,
    cwd: io.cwd,
  });
  const manifest = await openManifest(path, { create: true, env: io.env, lazy: true });
  // Before any build work: a tree whose records could not be registered is refused now.
  if (!isStoreLocation(path)) checkWritable(path);
  const { tree, recipes, vars } = await loadTreeForCommand(inputs, { values, io, manifest });
  const target = typeof values.target === "string" ? values.target : undefined;
  let select: Set<string> | undefined;
  if (values.outdated === true) {
    const plans = await planTree(recipes, { cwd: io.cwd, env: io.env, vars, ...(target ? { target } : {}) });
    const stale = findOutdated(tree, { plans, manifest }).filter((entry) => entry.outdated);
    select = new Set(stale.map((entry) => entry.lineage));
  }
  const cascadeId = newRunId().replace(/^bake-/, "tree-");
  const mode = reporterMode({ json, out: io.stdout, env: io.env });
  const progress = await createTreeProgress({
    mode,
    out: io.stdout,
    treeRunId: cascadeId,
    lineages: tree.order.map((recipe) => recipe.lineage),
  });
  const results = await executeTree(tree, {
    manifest,
    cwd: io.cwd,
    env: io.env,
    signal: io.signal,
    vars,
    ...(target ? { target } : {}),
    jobs: jobs(values, io, target ? [target] : recipes.map((recipe) => recipe.driver)),
    failFast: values["fail-fast"] === true,
    noCache: values["no-cache"] === true,
    ...inventorySideData(manifest.path, values["no-inventory"] !== true),
    ...(select ? { select } : {}),
    cascadeId,
    reporterFor: (recipe, secrets) => progress.reporterFor(recipe.lineage, secrets),
    onWarnings: (_recipe, warnings) =>
      io.stderr.write(renderDiagnostics(warnings, { color: false, severity: "warning" })),
  });
  await progress.finish(results);
  io.stdout.write(json ? summaryJson(cascadeId, results) : summaryText(cascadeId, results, io));
  const summaryFile = io.env.GITHUB_STEP_SUMMARY;
  if (summaryFile) {
    const { appendTreeSummary } = await import("../tree/summary.js");
    await appendTreeSummary({ file: summaryFile, cascadeId, results, manifest });
  }
  if (!json) io.stderr.write(failureDetails(results));
  if (io.signal.aborted) return ExitCode.Interrupted;
  return results.some((result) => result.status === "failed") ? ExitCode.Failed : ExitCode.Ok;
}

// Local sandboxes are CPU-bound, so one per core; packer and gce builds mostly wait on remote machines.
function jobs(values: OptionValues, io: CommandIO, drivers: string[]): number {
  return requestedJobs(values, io) ?? (drivers.includes("local") ? availableParallelism() : 4);
}

const LABELS: Record<TreeRecipeResult["status"], string> = {
  built: "built",
  "up-to-date": "up to date",
  failed: "failed",
  skipped: "skipped",
  "not-selected": "current",
};

function summaryText(cascadeId: string, results: TreeRecipeResult[], io: CommandIO): string {
  const style = styleFor(io.stdout, io.env);
  const count = (status: TreeRecipeResult["status"]) =>
    results.filter((result) => result.status === status).length;
  const lines = [
    `tree ${cascadeId}: ${results.length} recipe(s): ${count("built")} built, ${count("up-to-date")} up to date, ${count("skipped")} skipped, ${count("failed")} failed${count("not-selected") ? `, ${count("not-selected")} current (not rebuilt)` : ""}`,
  ];
  const width = Math.max(...results.map((result) => result.lineage.length));
  for (const result of results) {
    const label = LABELS[result.status].padEnd(10);
    const painted =
      result.status === "failed"
        ? style.red(label)
        : result.status === "skipped"
          ? style.yellow(label)
          : style.green(label);
    const record = result.result?.record;
    const what = record
      ? printable(`${record.version} build ${record.build ?? "?"}  ${record.id.slice(0, 19)}`)
      : printable(result.reason ?? "");
    lines.push(`  ${painted} ${result.lineage.padEnd(width)}  ${what}`);
  }
  return `${lines.join("\n")}\n`;
}

function summaryJson(cascadeId: string, results: TreeRecipeResult[]): string {
  return `${JSON.stringify({
    type: "tree-result",
    tree: cascadeId,
    ok: !results.some((result) => result.status === "failed"),
    recipes: results.map((result) => ({
      lineage: result.lineage,
      file: result.file,
      status: result.status,
      ...(result.result ? { record: result.result.record.id, build: result.result.record.build } : {}),
      ...(result.reason ? { reason: result.reason } : {}),
    })),
  })}\n`;
}

// Each failure's own message, hint and detail, so a CI log says why without scrolling through interleaved lines.
function failureDetails(results: TreeRecipeResult[]): string {
  return results
    .filter((result) => result.status === "failed")
    .map((result) => {
      const error = result.error;
      const lines = [`error: ${result.lineage} (${result.file}): ${printable(result.reason ?? "failed")}`];
      if (isBakeError(error)) {
        if (error.detail) lines.push(printable(error.detail, { multiline: true }).trimEnd());
        if (error.hint) lines.push(`  hint: ${printable(error.hint)}`);
      }
      return `${lines.join("\n")}\n`;
    })
    .join("");
}
