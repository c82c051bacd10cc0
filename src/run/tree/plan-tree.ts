import { planRecipe } from "../../plan/plan-recipe.js";
import type { BuildPlan } from "../../plan/types.js";
import type { TreeRecipe } from "./graph.js";

/** The variables of a tree that one recipe declares, as `NAME=VALUE` pairs. */
export function declaredVars(recipe: TreeRecipe, vars: ReadonlyMap<string, string>): string[] {
  return [...vars].filter(([name]) => recipe.vars.includes(name)).map(([name, value]) => `${name}=${value}`);
}

/** Compiles every recipe of a tree without secret values (plans name secrets only), keyed by lineage. */
export async function planTree(
  recipes: readonly TreeRecipe[],
  options: {
    cwd: string;
    env: Readonly<Record<string, string | undefined>>;
    vars: ReadonlyMap<string, string>;
    target?: string;
  },
): Promise<Map<string, BuildPlan>> {
  const plans = new Map<string, BuildPlan>();
  for (const recipe of recipes) {
    const { plan } = await planRecipe(recipe.path, {
      cwd: options.cwd,
      env: options.env,
      cliVars: declaredVars(recipe, options.vars),
      ...(options.target === undefined ? {} : { target: options.target }),
    });
    plans.set(recipe.lineage, plan);
  }
  return plans;
}
