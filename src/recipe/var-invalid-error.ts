import { BakeError } from "../errors.js";
import type { VarProblem } from "./vars.js";

// Apart from vars.ts, which reads var files (and so the YAML parser): the package root exports this class.

/**
 * Bad or missing variable values (`var-invalid`, exit 2): the first problem in the message, all of them in the
 * detail, and each as data in `problems`.
 */
export class VarInvalidError extends BakeError {
  /** Every problem found, one per variable; none holds a secret value. */
  readonly problems: readonly VarProblem[];

  constructor(problems: readonly VarProblem[]) {
    const [first] = problems;
    super(
      problems.length === 1 && first
        ? { code: "var-invalid", message: first.message, hint: first.hint }
        : {
            code: "var-invalid",
            message: `${problems.length} problems with variables`,
            detail: problems
              .map((p) => `  - ${p.message}${p.hint ? `\n    hint: ${p.hint}` : ""}`)
              .join("\n"),
          },
    );
    this.name = "VarInvalidError";
    this.problems = problems;
  }
}
