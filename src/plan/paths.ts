import path from "node:path";
import { BakeError } from "../errors.js";
import type { BuildPlan } from "./types.js";

const PATH_SCHEMES: readonly string[] = ["oci-archive", "docker-archive", "dir"];

/** A path written in a recipe, relative to its root, in the one spelling a plan uses (`/`, normalised). */
export function planRelative(written: string): string {
  const normal = path.posix.normalize(written.replaceAll("\\", "/")).replace(/\/+$/, "");
  return normal === "" ? "." : normal;
}

/** Whether the plan's paths are relative to the recipe's directory (the default), so they need a root to use. */
export function isRelativePlan(plan: Pick<BuildPlan, "recipe">): boolean {
  return !path.isAbsolute(plan.recipe.root);
}

/**
 * The plan with absolute paths: `recipe.file`, `recipe.root` and an archive or `dir:` parent's location resolved
 * against `root`, the recipe's directory. A plan that is already absolute comes back as it is. Drivers work on
 * absolute paths; the runner calls this with the root it was given, so a plan made in one checkout builds in
 * another.
 * @throws BakeError `plan-root-missing` when the plan is relative and no root is given.
 */
export function rootPlan(plan: BuildPlan, root: string | undefined): BuildPlan {
  if (!isRelativePlan(plan)) return plan;
  if (root === undefined) {
    throw new BakeError({
      code: "plan-root-missing",
      message: `the plan of ${plan.lineage} has paths relative to its recipe's directory, and no root was given`,
      hint: "pass the recipe's directory as `root` (planRecipe returns it), or compile with absolutePaths: true",
    });
  }
  const recipeRoot = path.resolve(root, plan.recipe.root);
  const parent = plan.parent;
  const located =
    parent.kind === "external" &&
    PATH_SCHEMES.includes(parent.scheme) &&
    parent.location !== "" &&
    !path.isAbsolute(parent.location)
      ? { ...parent, location: path.resolve(recipeRoot, parent.location) }
      : parent;
  return {
    ...plan,
    recipe: { ...plan.recipe, file: path.resolve(recipeRoot, plan.recipe.file), root: recipeRoot },
    parent: located,
  };
}
