import type { Diagnostic } from "../diagnostics.js";
import { diagnosticAt, offsetWithin, type RecipePath, type RecipeSource, spanOf } from "../source.js";
import type { WrittenRecipe } from "../written.js";

/** What a semantic rule sees: the schema-valid recipe, its source for positions, and where to report. */
export interface RuleContext {
  source: RecipeSource;
  recipe: WrittenRecipe;
  /** Absolute directory of the recipe; `copy` sources stay inside it. */
  root: string;
  /** Whether rules may look at the filesystem (whether `copy` sources exist). */
  checkFiles: boolean;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** Where a finding points: the value at `path`, its key, or a piece of text inside the value. */
export interface Target {
  path: RecipePath;
  key?: boolean;
  needle?: string;
}

/** A semantic rule: reads the context, pushes errors or warnings. */
export type Rule = (ctx: RuleContext) => void;

export function report(
  ctx: RuleContext,
  severity: "error" | "warning",
  target: Target,
  diag: Omit<Diagnostic, "location" | "excerpt" | "severity" | "end" | "path">,
): void {
  const span =
    target.needle !== undefined
      ? withLength(offsetWithin(ctx.source, target.path, target.needle), target.needle, target.path)
      : spanOf(ctx.source, target.path, { key: target.key ?? false });
  (severity === "error" ? ctx.errors : ctx.warnings).push(
    diagnosticAt(ctx.source, span, { ...diag, severity }),
  );
}

function withLength(start: number, needle: string, path: RecipePath) {
  return { start, end: start + needle.length, path };
}
