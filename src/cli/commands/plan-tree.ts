import { BakeError } from "../../errors.js";
import { githubMatrix, gitlabPipeline } from "../../run/tree/matrix.js";
import { findOutdated } from "../../run/tree/outdated.js";
import { planTree } from "../../run/tree/plan-tree.js";
import { type TreePlan, treePlan } from "../../run/tree/tree-plan.js";
import { canonicalJson } from "../../util/canonical-json.js";
import { printable } from "../../util/printable.js";
import { styleFor } from "../../util/style.js";
import type { CommandIO, OptionValues } from "../io.js";
import { openForCommand } from "../manifest-support.js";
import { loadTreeForCommand } from "../tree/load.js";

/**
 * `bake plan DIR|RECIPE...|PATTERN [--json] [--matrix github|gitlab] [--outdated]`: the tree's graph with stale
 * reasons and planned layers, or a dependency-ordered CI job matrix.
 */
export async function planTreeCommand(
  inputs: string[],
  values: OptionValues,
  io: CommandIO,
): Promise<number> {
  const matrix = matrixFormat(values.matrix);
  const manifest = await openForCommand(values, io);
  const { tree, recipes, vars } = await loadTreeForCommand(inputs, { values, io, manifest });
  const target = typeof values.target === "string" ? values.target : undefined;
  const plans = await planTree(recipes, { cwd: io.cwd, env: io.env, vars, ...(target ? { target } : {}) });
  const plan = treePlan(tree, { plans, freshness: findOutdated(tree, { plans, manifest }) });
  const onlyOutdated = values.outdated === true;
  if (matrix === "github") io.stdout.write(githubMatrix(plan, { onlyOutdated }));
  else if (matrix === "gitlab")
    io.stdout.write(gitlabPipeline(plan, { onlyOutdated, command: "npx bake build" }));
  else if (values.json === true) io.stdout.write(`${canonicalJson(plan)}\n`);
  else io.stdout.write(render(plan, io));
  return 0;
}

function matrixFormat(value: OptionValues[string]): "github" | "gitlab" | undefined {
  if (value === undefined) return undefined;
  if (value === "github" || value === "gitlab") return value;
  throw new BakeError({
    code: "usage",
    message: `plan: --matrix ${printable(String(value))} is not a CI system bake writes matrices for`,
    hint: "use --matrix github or --matrix gitlab",
  });
}

function render(plan: TreePlan, io: CommandIO): string {
  const style = styleFor(io.stdout, io.env, false);
  const lines: string[] = [];
  for (const node of plan.nodes) {
    const indent = "  ".repeat(node.stage);
    const state = node.outdated ? style.yellow("outdated") : style.green("current");
    lines.push(
      `${indent}${style.bold(node.lineage)} (${node.driver}, from ${printable(node.parent.ref)}) ${state}  ${style.dim(node.file)}`,
    );
    for (const reason of node.reasons) lines.push(`${indent}  - ${printable(reason.message)}`);
    lines.push(`${indent}  layers: ${node.layers.map((layer) => layer.name).join(", ") || "(none)"}`);
  }
  const stale = plan.nodes.filter((node) => node.outdated).length;
  lines.push(`${plan.nodes.length} recipe(s), ${plan.edges.length} edge(s), ${stale} outdated`);
  return `${lines.join("\n")}\n`;
}
