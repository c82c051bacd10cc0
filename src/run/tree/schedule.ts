import type { RecipeTree, TreeRecipe } from "./graph.js";

/** How one recipe of a tree build ended. */
export type TreeOutcome<T> =
  | { status: "done"; value: T }
  | { status: "failed"; error: unknown }
  | { status: "skipped"; reason: string };

/** What the scheduler hands each build: the results of the tree's parents, and a signal that fail-fast aborts. */
export interface TreeTask<T> {
  recipe: TreeRecipe;
  /** The outcome of this recipe's parent in the tree, when the parent was part of this run. */
  parent?: { lineage: string; value: T };
  signal: AbortSignal;
}

/**
 * Runs one task per recipe, parents before children, at most `jobs` at once. A failed recipe's descendants are
 * skipped with the reason while unrelated recipes go on; with `failFast` the first failure stops everything.
 * Recipes outside `select` are not run, and their children build on what the manifest holds.
 */
export async function scheduleTree<T>(
  tree: RecipeTree,
  options: {
    jobs: number;
    failFast?: boolean;
    signal: AbortSignal;
    select?: ReadonlySet<string>;
    run(task: TreeTask<T>): Promise<T>;
  },
): Promise<Map<string, TreeOutcome<T>>> {
  const outcomes = new Map<string, TreeOutcome<T>>();
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal.reason);
  options.signal.addEventListener("abort", onAbort, { once: true });
  const selected = tree.order.filter((recipe) => options.select?.has(recipe.lineage) ?? true);
  const inRun = new Set(selected.map((recipe) => recipe.lineage));
  const waiting = new Set(inRun);
  const running = new Map<string, Promise<void>>();
  let stoppedBy: string | undefined;

  // A recipe is ready when its parent in this run has finished (or is not part of the run).
  const ready = (recipe: TreeRecipe) => {
    const parent = tree.parentOf.get(recipe.lineage);
    return parent === undefined || !inRun.has(parent) || outcomes.has(parent);
  };

  try {
    while (waiting.size > 0 || running.size > 0) {
      for (const recipe of selected) {
        if (!waiting.has(recipe.lineage) || !ready(recipe)) continue;
        const parentLineage = tree.parentOf.get(recipe.lineage);
        const parentOutcome = parentLineage === undefined ? undefined : outcomes.get(parentLineage);
        if (stoppedBy !== undefined || stop.signal.aborted) {
          waiting.delete(recipe.lineage);
          outcomes.set(recipe.lineage, {
            status: "skipped",
            reason: stoppedBy
              ? `not started: --fail-fast stopped the build after ${stoppedBy} failed`
              : "interrupted",
          });
          continue;
        }
        if (parentOutcome && parentOutcome.status !== "done") {
          waiting.delete(recipe.lineage);
          outcomes.set(recipe.lineage, {
            status: "skipped",
            reason:
              parentOutcome.status === "failed"
                ? `its parent ${parentLineage} failed`
                : `its parent ${parentLineage} was skipped (${parentOutcome.reason})`,
          });
          continue;
        }
        if (running.size >= options.jobs) break;
        waiting.delete(recipe.lineage);
        const task: TreeTask<T> = {
          recipe,
          signal: stop.signal,
          ...(parentOutcome?.status === "done" && parentLineage !== undefined
            ? { parent: { lineage: parentLineage, value: parentOutcome.value } }
            : {}),
        };
        const promise = options
          .run(task)
          .then(
            (value) => {
              outcomes.set(recipe.lineage, { status: "done", value });
            },
            (error: unknown) => {
              outcomes.set(recipe.lineage, { status: "failed", error });
              if (options.failFast && stoppedBy === undefined) {
                stoppedBy = recipe.lineage;
                stop.abort(new Error(`--fail-fast: ${recipe.lineage} failed`));
              }
            },
          )
          .finally(() => running.delete(recipe.lineage));
        running.set(recipe.lineage, promise);
      }
      if (running.size === 0) {
        // Topological order starts or settles every waiting recipe in one pass; this is only a guard.
        for (const lineage of waiting)
          outcomes.set(lineage, { status: "skipped", reason: "its parent never ran" });
        break;
      }
      await Promise.race(running.values());
    }
  } finally {
    options.signal.removeEventListener("abort", onAbort);
  }
  return outcomes;
}
