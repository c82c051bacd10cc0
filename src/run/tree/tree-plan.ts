import type { BuildPlan } from "../../plan/types.js";
import type { RecipeTree } from "./graph.js";
import type { RecipeFreshness, StaleReason } from "./outdated.js";

/** One recipe of a tree plan: where it sits, what it builds on, whether it is stale and the layers it plans. */
export interface TreePlanNode {
  lineage: string;
  file: string;
  driver: string;
  /** 0 for recipes with no parent in the tree; a child's stage is its parent's plus one. */
  stage: number;
  parent: { ref: string; lineage?: string; inTree: boolean };
  outdated: boolean;
  reasons: StaleReason[];
  layers: { name: string; inputsDigest: string }[];
}

/** What `bake plan DIR --json` prints: the tree's nodes in build order and its edges (parent to child). */
export interface TreePlan {
  apiVersion: "bake/tree-plan/v1";
  nodes: TreePlanNode[];
  edges: { parent: string; child: string }[];
}

/** Puts a tree, its compiled plans and its freshness together into one deterministic document. */
export function treePlan(
  tree: RecipeTree,
  options: { plans: ReadonlyMap<string, BuildPlan>; freshness: readonly RecipeFreshness[] },
): TreePlan {
  const stages = new Map<string, number>();
  const fresh = new Map(options.freshness.map((entry) => [entry.lineage, entry]));
  const nodes = tree.order.map((recipe): TreePlanNode => {
    const plan = options.plans.get(recipe.lineage) as BuildPlan;
    const parentLineage = tree.parentOf.get(recipe.lineage);
    const stage = parentLineage === undefined ? 0 : (stages.get(parentLineage) ?? 0) + 1;
    stages.set(recipe.lineage, stage);
    const entry = fresh.get(recipe.lineage);
    return {
      lineage: recipe.lineage,
      file: recipe.file,
      driver: plan.target.driver,
      stage,
      parent: {
        ref: plan.parent.ref,
        ...(plan.parent.kind === "lineage" ? { lineage: plan.parent.lineage } : {}),
        inTree: parentLineage !== undefined,
      },
      outdated: entry?.outdated ?? true,
      reasons: entry?.reasons ?? [],
      layers: plan.layers.map((layer) => ({ name: layer.name, inputsDigest: layer.inputsDigest })),
    };
  });
  const edges = nodes
    .filter((node) => node.parent.inTree && node.parent.lineage !== undefined)
    .map((node) => ({ parent: node.parent.lineage as string, child: node.lineage }));
  return { apiVersion: "bake/tree-plan/v1", nodes, edges };
}
