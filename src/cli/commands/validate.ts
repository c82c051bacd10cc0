import { relative } from "node:path";
import { type Diagnostic, renderDiagnostics } from "../../recipe/diagnostics.js";
import { loadRecipe } from "../../recipe/load.js";
import { printable } from "../../util/printable.js";
import { styleFor } from "../../util/style.js";
import { annotateDiagnostics } from "../github-annotations.js";
import { type CommandRun, optionStrings } from "../io.js";

/**
 * `bake validate RECIPE [--var NAME=VALUE]... [--var-file FILE]... [--json]`: schema and semantic checks,
 * plus the variable values when any are given. Exit 0 when valid, 2 otherwise.
 */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const file = positionals[0] ?? "recipe.yaml";
  const result = await loadRecipe(file, { cwd: io.cwd, signal: io.signal });
  const errors = [...result.errors];
  const warnings = [...result.warnings];
  const cliVars = optionStrings(values, "var");
  const varFiles = optionStrings(values, "var-file");
  if (result.recipe) {
    const hasEnvVars = Object.keys(io.env).some((key) => key.startsWith("BAKE_VAR_"));
    if (cliVars.length > 0 || varFiles.length > 0 || hasEnvVars) {
      // Loaded only when variables are given: most runs never need it.
      const { collectVars } = await import("../../recipe/vars.js");
      const { problems } = await collectVars(result.recipe, {
        cliVars,
        varFiles,
        env: io.env,
        cwd: io.cwd,
        signal: io.signal,
      });
      for (const problem of problems) {
        // Secrets and other build-time values may be absent while editing: a warning, not an error.
        const diag: Diagnostic = {
          code: problem.missing ? "var-missing" : "var-invalid",
          severity: problem.missing ? "warning" : "error",
          message: problem.message,
          ...(problem.hint ? { hint: problem.hint } : {}),
        };
        (problem.missing ? warnings : errors).push(diag);
      }
    }
  }
  const ok = errors.length === 0;
  annotateDiagnostics(io.stderr, { diagnostics: warnings, level: "warning", ...io });
  annotateDiagnostics(io.stderr, { diagnostics: errors, level: "error", ...io });
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify({ ok, file, errors, warnings }, null, 2)}\n`);
    return ok ? 0 : 2;
  }
  const style = styleFor(io.stderr, io.env, values["no-color"] === true);
  io.stderr.write(renderDiagnostics(warnings, { color: false, severity: "warning", style }));
  io.stderr.write(renderDiagnostics(errors, { color: false, style }));
  if (!ok || !result.recipe) {
    const count = errors.length;
    io.stderr.write(
      `${style.red(style.bold("invalid"))}: ${printable(file)} (${count} ${count === 1 ? "error" : "errors"})\n`,
    );
    return 2;
  }
  const layers = result.recipe.layers.length;
  const checks = result.recipe.verify.length;
  const out = styleFor(io.stdout, io.env, values["no-color"] === true);
  const shown = file.startsWith("/") ? relative(io.cwd, file) || file : file;
  io.stdout.write(
    `${out.green("ok")}: ${printable(shown)} (${layers} ${layers === 1 ? "layer" : "layers"}, ${checks} ${checks === 1 ? "check" : "checks"})\n`,
  );
  return 0;
};
