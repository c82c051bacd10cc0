import type { SourceLocation } from "../errors.js";
import { printable } from "../util/printable.js";
import type { Style } from "../util/style.js";

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

const ANSI = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

/**
 * Render diagnostics as `file:line:col: error: message`, the excerpt and the hint, one block each. Everything
 * quoted from a recipe or var file is passed through `printable()`, so it cannot drive the terminal.
 *
 * @param opts.color - colour with ANSI escapes (ignored when `style` is given).
 * @param opts.severity - the label each block gets. @default "error"
 * @param opts.style - a terminal style from the CLI, which already honours NO_COLOR and non-TTY output.
 */
export function renderDiagnostics(
  diags: Diagnostic[],
  opts: { color: boolean; severity?: "error" | "warning"; style?: Style },
): string {
  const severity = opts.severity ?? "error";
  const plain = (text: string) => text;
  const style = opts.style ?? {
    bold: opts.color ? ANSI(1, 22) : plain,
    red: opts.color ? ANSI(31, 39) : plain,
    yellow: opts.color ? ANSI(33, 39) : plain,
    cyan: opts.color ? ANSI(36, 39) : plain,
    dim: opts.color ? ANSI(2, 22) : plain,
  };
  return diags
    .map((diag) => {
      const where = diag.location
        ? `${printable(diag.location.file)}:${diag.location.line}:${diag.location.col}: `
        : "";
      const label =
        severity === "error" ? style.red(style.bold("error")) : style.yellow(style.bold("warning"));
      const lines = [`${style.bold(where)}${label}: ${printable(diag.message)}`];
      if (diag.excerpt) lines.push(style.dim(printable(diag.excerpt, { multiline: true })));
      if (diag.hint) lines.push(`  ${style.cyan("hint")}: ${printable(diag.hint)}`);
      return `${lines.join("\n")}\n`;
    })
    .join("");
}
