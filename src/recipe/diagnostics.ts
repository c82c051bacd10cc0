import type { SourceLocation } from "../errors.js";

/** One finding about a recipe: an error (the recipe is rejected) or a warning (it is accepted). */
export interface Diagnostic {
  /** Stable identifier, such as `unknown-key` or `script-interpolation`. */
  code: string;
  /** One line, written for the user. */
  message: string;
  /** Where in the recipe (1-based line and column), when known. */
  location?: SourceLocation;
  /** How to fix it. */
  hint?: string;
  /** The offending source line with a caret under the column. */
  excerpt?: string;
}

/** Render diagnostics as `file:line:col: error: message`, the excerpt and the hint, one block each. */
export function renderDiagnostics(
  diags: Diagnostic[],
  opts: { color: boolean; severity?: "error" | "warning" },
): string {
  const severity = opts.severity ?? "error";
  const paint = (code: number, text: string) => (opts.color ? `\u001b[${code}m${text}\u001b[39m` : text);
  return diags
    .map((diag) => {
      const where = diag.location ? `${diag.location.file}:${diag.location.line}:${diag.location.col}: ` : "";
      const label = severity === "error" ? paint(31, "error") : paint(33, "warning");
      const lines = [`${where}${label}: ${diag.message}`];
      if (diag.excerpt) lines.push(diag.excerpt);
      if (diag.hint) lines.push(`  ${paint(36, "hint")}: ${diag.hint}`);
      return `${lines.join("\n")}\n`;
    })
    .join("");
}
