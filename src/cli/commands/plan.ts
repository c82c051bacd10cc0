import { BakeError } from "../../errors.js";
import { canonicalJson } from "../../plan/canonical-json.js";
import { planRecipe } from "../../plan/plan-recipe.js";
import { renderPlan } from "../../plan/render.js";
import { renderDiagnostics } from "../../recipe/diagnostics.js";
import type { CommandRun, OptionValues } from "../io.js";
import { styleFor } from "../style.js";

/** `bake plan RECIPE [--json]`: compiles a recipe and prints the plan, for people or as canonical JSON. */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const [file, extra] = positionals as [string, string | undefined];
  if (values.emit !== undefined) {
    throw new BakeError({ code: "usage", message: "plan: --emit is not available in this build of bake" });
  }
  if (extra !== undefined) {
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
    cliVars: strings(values, "var"),
    varFiles: strings(values, "var-file"),
    ...(typeof values.target === "string" ? { target: values.target } : {}),
  });
  if (result.warnings.length > 0) {
    const color = isColor(io.stderr, io.env, noColor);
    io.stderr.write(renderDiagnostics(result.warnings, { color, severity: "warning" }));
  }
  if (values.json === true) io.stdout.write(`${canonicalJson(result.plan)}\n`);
  else io.stdout.write(renderPlan(result.plan, styleFor(io.stdout, io.env, noColor)));
  return 0;
};

function strings(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === "string");
}

// styleFor hides whether colour is on; ask it with a probe string.
function isColor(out: Parameters<typeof styleFor>[0], env: Parameters<typeof styleFor>[1], noColor: boolean) {
  return styleFor(out, env, noColor).bold("x") !== "x";
}
