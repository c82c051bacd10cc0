import { BakeError } from "../../errors.js";
import type { ParentSpec } from "../../plan/types.js";
import { type Diagnostic, renderDiagnostics } from "../../recipe/diagnostics.js";

/** One recipe of a tree, with where its `name` and `from` are written so errors can point at them. */
export interface TreeRecipe {
  /** The recipe file as the user named it (relative to the working directory). */
  file: string;
  /** Absolute path of the recipe file. */
  path: string;
  lineage: string;
  parent: ParentSpec;
  /** The recipe's target driver, as written (a `--target` may override it). */
  driver: string;
  /** The names of the variables the recipe declares. */
  vars: string[];
  /** Diagnostics-ready positions of the recipe's `name` and `from` values. */
  at: { name: Pick<Diagnostic, "location" | "excerpt">; from: Pick<Diagnostic, "location" | "excerpt"> };
}

/** Recipes ordered so every parent comes before its children, with the edges between them. */
export interface RecipeTree {
  /** Topological order: parents first; among independent recipes, by file name. */
  order: TreeRecipe[];
  /** The lineage built by another recipe of the tree that a recipe builds on, if any. */
  parentOf: ReadonlyMap<string, string>;
  /** The recipes of the tree that build directly on a lineage. */
  childrenOf: ReadonlyMap<string, readonly string[]>;
}

/**
 * Connects recipes into a tree: a recipe whose `from` names a lineage that another recipe builds depends on it.
 * Fails before anything runs, with errors that point at both recipes, for two recipes of one lineage, a cycle,
 * and a lineage parent that neither a recipe of the tree nor the manifest provides.
 *
 * @param options.known - whether the lineage manifest (or store) already holds images of a lineage.
 * @throws BakeError with code `tree-invalid` (exit 2), every problem rendered in `detail`.
 */
export function buildTree(
  recipes: readonly TreeRecipe[],
  options: { known(lineage: string): boolean },
): RecipeTree {
  const errors: Diagnostic[] = [];
  const byLineage = new Map<string, TreeRecipe>();
  for (const recipe of [...recipes].sort((a, b) => a.file.localeCompare(b.file))) {
    const first = byLineage.get(recipe.lineage);
    if (first) {
      errors.push(
        {
          code: "tree-duplicate-lineage",
          severity: "error",
          message: `${first.file} builds lineage "${recipe.lineage}", and so does ${recipe.file}`,
          ...first.at.name,
        },
        {
          code: "tree-duplicate-lineage",
          severity: "error",
          message: `${recipe.file} builds lineage "${recipe.lineage}", as ${first.file} does`,
          hint: "each lineage has one recipe: rename one of them (name:) or build them apart",
          ...recipe.at.name,
        },
      );
      continue;
    }
    byLineage.set(recipe.lineage, recipe);
  }

  const parentOf = new Map<string, string>();
  const childrenOf = new Map<string, string[]>();
  for (const recipe of byLineage.values()) {
    if (recipe.parent.kind !== "lineage") continue;
    const parent = recipe.parent.lineage;
    if (byLineage.has(parent)) {
      parentOf.set(recipe.lineage, parent);
      childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), recipe.lineage]);
    } else if (!options.known(parent)) {
      errors.push({
        code: "tree-parent-missing",
        severity: "error",
        message: `from: "${recipe.parent.ref}" names lineage "${parent}", which no recipe here builds and the manifest does not hold`,
        hint: `add the recipe that builds ${parent} to this build, build it first, or check --manifest`,
        ...recipe.at.from,
      });
    }
  }

  errors.push(...cycles(byLineage, parentOf));
  if (errors.length > 0) {
    throw new BakeError({
      code: "tree-invalid",
      message: `the recipes do not form a buildable tree (${errors.length === 1 ? "1 error" : `${errors.length} errors`})`,
      detail: renderDiagnostics(errors, { color: false }),
    });
  }
  return { order: topological(byLineage, parentOf, childrenOf), parentOf, childrenOf };
}

// A recipe has one parent, so a cycle is found by following parents until a lineage repeats.
function cycles(
  byLineage: ReadonlyMap<string, TreeRecipe>,
  parentOf: ReadonlyMap<string, string>,
): Diagnostic[] {
  const reported = new Set<string>();
  const errors: Diagnostic[] = [];
  for (const start of byLineage.keys()) {
    const path: string[] = [];
    let current: string | undefined = start;
    while (current !== undefined && !path.includes(current) && !reported.has(current)) {
      path.push(current);
      current = parentOf.get(current);
    }
    if (current === undefined || reported.has(current)) continue;
    const loop = path.slice(path.indexOf(current));
    for (const lineage of loop) reported.add(lineage);
    const description = [...loop, current].join(" -> ");
    for (const lineage of loop) {
      const recipe = byLineage.get(lineage) as TreeRecipe;
      errors.push({
        code: "tree-cycle",
        severity: "error",
        message: `${recipe.file} is part of a cycle: ${description} (each builds on the next)`,
        hint: "a lineage cannot build on itself, directly or through others: point one from: at an external base",
        ...recipe.at.from,
      });
    }
  }
  return errors;
}

function topological(
  byLineage: ReadonlyMap<string, TreeRecipe>,
  parentOf: ReadonlyMap<string, string>,
  childrenOf: ReadonlyMap<string, readonly string[]>,
): TreeRecipe[] {
  const order: TreeRecipe[] = [];
  let ready = [...byLineage.values()].filter((recipe) => !parentOf.has(recipe.lineage));
  while (ready.length > 0) {
    ready.sort((a, b) => a.file.localeCompare(b.file));
    const next: TreeRecipe[] = [];
    for (const recipe of ready) {
      order.push(recipe);
      for (const child of childrenOf.get(recipe.lineage) ?? []) next.push(byLineage.get(child) as TreeRecipe);
    }
    ready = next;
  }
  return order;
}

/** Every lineage of the tree built on `lineage`, directly or not. */
export function descendantsOf(tree: RecipeTree, lineage: string): string[] {
  const found: string[] = [];
  const pending = [...(tree.childrenOf.get(lineage) ?? [])];
  while (pending.length > 0) {
    const next = pending.shift() as string;
    found.push(next);
    pending.push(...(tree.childrenOf.get(next) ?? []));
  }
  return found;
}
