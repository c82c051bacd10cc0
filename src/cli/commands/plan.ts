import { resolve } from "node:path";
import { BakeError } from "../../errors.js";
import { planRecipe } from "../../plan/plan-recipe.js";
import { renderPlan } from "../../plan/render.js";
import { renderDiagnostics } from "../../recipe/diagnostics.js";
import { canonicalJson } from "../../util/canonical-json.js";
import { styleFor } from "../../util/style.js";
import { annotateDiagnostics } from "../github-annotations.js";
import { type CommandRun, type OptionValues, optionStrings } from "../io.js";
import { namesTree } from "../tree/load.js";

/** `bake plan RECIPE [--json] [--emit packer DIR]`: compiles a recipe and prints the plan (for people, as canonical JSON, or as Packer templates). */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const tree =
    values.matrix !== undefined ||
    values.outdated === true ||
    (values.emit === undefined &&
      (positionals.length > 1 || (await namesTree(positionals[0] as string, io.cwd))));
  if (tree) {
    const { planTreeCommand } = await import("./plan-tree.js");
    return planTreeCommand(positionals, values, io);
  }
  const [file, extra] = positionals as [string, string | undefined];
  const emitDir = emitDirectory(values, extra);
  if (extra !== undefined && emitDir === undefined) {
    throw new BakeError({
      code: "usage",
      message: `plan: unexpected argument "${extra}"`,
      hint: "usage: bake plan RECIPE [--json] [--emit packer DIR]",
    });
  }
  const noColor = values["no-color"] === true;
  const result = await planRecipe(file, {
    cwd: io.cwd,
    env: io.env,
    signal: io.signal,
    cliVars: optionStrings(values, "var"),
    varFiles: optionStrings(values, "var-file"),
    ...(typeof values.target === "string" ? { target: values.target } : {}),
  });
  annotateDiagnostics(io.stderr, { diagnostics: result.warnings, level: "warning", ...io });
  if (result.warnings.length > 0) {
    const style = styleFor(io.stderr, io.env, noColor);
    io.stderr.write(renderDiagnostics(result.warnings, { color: false, severity: "warning", style }));
  }
  if (emitDir !== undefined) {
    const { describeEmitted, emitPackerTemplates } = await import("../../drivers/packer/emit.js");
    const outDir = resolve(io.cwd, emitDir);
    const files = await emitPackerTemplates({ plan: result.plan, root: result.root, outDir, env: io.env });
    io.stdout.write(describeEmitted({ files, plan: result.plan, cwd: io.cwd }));
    return 0;
  }
  if (values.json === true) io.stdout.write(`${canonicalJson(result.plan)}\n`);
  else io.stdout.write(renderPlan(result.plan, styleFor(io.stdout, io.env, noColor)));
  return 0;
};

// `--emit packer DIR` (or `--emit packer --out DIR`): the directory to write templates to.
function emitDirectory(values: OptionValues, extra: string | undefined): string | undefined {
  if (values.emit === undefined) return undefined;
  if (values.emit !== "packer") {
    throw new BakeError({
      code: "usage",
      message: `plan: cannot emit "${String(values.emit)}" templates`,
      hint: "use --emit packer DIR",
    });
  }
  const dir = extra ?? (typeof values.out === "string" ? values.out : undefined);
  if (dir === undefined) {
    throw new BakeError({
      code: "usage",
      message: "plan: --emit packer needs a directory",
      hint: "usage: bake plan RECIPE --emit packer DIR",
    });
  }
  return dir;
}
