import { idSpecProblem } from "../ids.js";
import { findInterpolations } from "../interpolation.js";
import type { RecipePath } from "../source.js";
import { type Rule, type RuleContext, report } from "./context.js";

/**
 * Numeric uids and gids in steps' and checks' `user:` and in copies' and files' `owner:` fit the kernel's 32-bit
 * ids: a larger one would wrap around, `4294967296` to root. A value with `${vars.NAME}` is checked once filled in,
 * by the compiler.
 */
export const stepAndCheckIds: Rule = (ctx) => {
  ctx.recipe.layers.forEach((layer, l) => {
    layer.steps.forEach((step, s) => {
      const base = ["layers", l, "steps", s];
      if ("run" in step) checkIds(ctx, [...base, "user"], step.user, "user");
      if ("copy" in step) checkIds(ctx, [...base, "copy", "owner"], step.copy.owner, "owner");
      if ("file" in step) checkIds(ctx, [...base, "file", "owner"], step.file.owner, "owner");
    });
  });
  (ctx.recipe.verify ?? []).forEach((check, c) => {
    if ("run" in check) checkIds(ctx, ["verify", c, "user"], check.user, "user");
  });
};

/** The image config's `user` fits the kernel's ids too: containers from the image run as it. */
export const configUserId: Rule = (ctx) => {
  checkIds(ctx, ["config", "user"], ctx.recipe.config?.user, "user");
};

function checkIds(ctx: RuleContext, path: RecipePath, value: string | undefined, field: string): void {
  if (typeof value !== "string" || findInterpolations(value).length > 0) return;
  const problem = idSpecProblem(value, { field });
  if (problem) report(ctx, "error", { path }, problem);
}
