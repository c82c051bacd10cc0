import { BakeError } from "../errors.js";
import { type Diagnostic, renderDiagnostics } from "./diagnostics.js";

/**
 * A recipe with errors: one summary line, every diagnostic rendered in `detail`, and the diagnostics themselves,
 * so an entry point can also show them in another form (GitHub Actions annotations, say). Exit code 2.
 */
export class RecipeInvalidError extends BakeError {
  /** Every error found, each with its `file:line:col` when known. */
  readonly diagnostics: readonly Diagnostic[];

  /** @param message - the summary line. @default "FILE: N errors in the recipe" */
  constructor(file: string, errors: readonly Diagnostic[], message?: string) {
    const count = errors.length;
    super({
      code: "recipe-invalid",
      message: message ?? `${file}: ${count === 1 ? "1 error" : `${count} errors`} in the recipe`,
      detail: renderDiagnostics([...errors], { color: false }),
    });
    this.name = "RecipeInvalidError";
    this.diagnostics = errors;
  }
}
