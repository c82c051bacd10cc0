import type { BakeErrorCode, SourceLocation } from "../errors.js";
import { printable } from "../util/printable.js";
import type { Style } from "../util/style.js";

/** One finding about a recipe: an error (the recipe is rejected) or a warning (it is accepted). */
export interface Diagnostic {
  /** Stable identifier, such as `unknown-key` or `script-interpolation`. */
  code: BakeErrorCode;
  /** `error`: the recipe is rejected; `warning`: it is accepted. */
  severity: "error" | "warning";
  /** One line, written for the user. */
  message: string;
  /** Where in the recipe (1-based line and column), when known. */
  location?: SourceLocation;
  /** Where the offending part ends (1-based, exclusive column, same file), when known. */
  end?: { line: number; col: number };
  /** The offending part as a JSON pointer into the written recipe (`/layers/0/steps/1/copy/from`), when known. */
  path?: string;
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
 * @param opts.color - colour with ANSI escapes (ignored when `style` is given). @default false
 * @param opts.severity - the label every block gets. @default each diagnostic's own `severity`
 * @param opts.style - a terminal style from the CLI, which already honours NO_COLOR and non-TTY output.
 */
export function renderDiagnostics(
  diags: readonly Diagnostic[],
  opts: { color?: boolean; severity?: "error" | "warning"; style?: Style } = {},
): string {
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
      const severity = opts.severity ?? diag.severity ?? "error";
      const label =
        severity === "error" ? style.red(style.bold("error")) : style.yellow(style.bold("warning"));
      const lines = [`${style.bold(where)}${label}: ${printable(diag.message)}`];
      if (diag.excerpt) lines.push(style.dim(printable(diag.excerpt, { multiline: true })));
      if (diag.hint) lines.push(`  ${style.cyan("hint")}: ${printable(diag.hint)}`);
      return `${lines.join("\n")}\n`;
    })
    .join("");
}
