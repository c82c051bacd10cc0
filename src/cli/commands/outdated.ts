import { ExitCode } from "../../errors.js";
import { findOutdated, type RecipeFreshness } from "../../run/tree/outdated.js";
import { planTree } from "../../run/tree/plan-tree.js";
import { printable } from "../../util/printable.js";
import { styleFor } from "../../util/style.js";
import type { CommandIO, CommandRun } from "../io.js";
import { openForCommand } from "../manifest-support.js";
import { loadTreeForCommand } from "../tree/load.js";

/**
 * `bake outdated [DIR|RECIPE...]`: for each recipe, whether its newest image is stale and why. Exit 1 when
 * anything is outdated, so it can gate CI; 0 when every image is current.
 */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const manifest = await openForCommand(values, io);
  const { tree, recipes, vars } = await loadTreeForCommand(positionals, { values, io, manifest });
  const target = typeof values.target === "string" ? values.target : undefined;
  const plans = await planTree(recipes, { cwd: io.cwd, env: io.env, vars, ...(target ? { target } : {}) });
  const report = findOutdated(tree, { plans, manifest });
  io.stdout.write(
    values.json === true ? `${JSON.stringify({ recipes: report }, null, 2)}\n` : render(report, io),
  );
  return report.some((entry) => entry.outdated) ? ExitCode.Failed : ExitCode.Ok;
};

function render(report: RecipeFreshness[], io: CommandIO): string {
  const style = styleFor(io.stdout, io.env);
  const width = Math.max(...report.map((entry) => entry.lineage.length));
  const lines: string[] = [];
  for (const entry of report) {
    const image = entry.image
      ? `${printable(entry.image.version)} build ${entry.image.build ?? "?"}`
      : "no image";
    const state = entry.outdated ? style.yellow("outdated") : style.green("current ");
    lines.push(`${state}  ${entry.lineage.padEnd(width)}  ${image}  ${style.dim(entry.file)}`);
    for (const reason of entry.reasons) lines.push(`            - ${printable(reason.message)}`);
  }
  const stale = report.filter((entry) => entry.outdated).length;
  lines.push(
    stale === 0
      ? `every image is current (${report.length} recipe(s))`
      : `${stale} of ${report.length} recipe(s) outdated: bake build --outdated rebuilds them in order`,
  );
  return `${lines.join("\n")}\n`;
}
