import type { Reporter } from "../../drivers/events.js";
import { loadDriver } from "../../drivers/index.js";
import { BakeError } from "../../errors.js";
import type { SideData } from "../../manifest/side-data.js";
import { planRecipe } from "../../plan/plan-recipe.js";
import type { SecretValues } from "../../plan/secrets.js";
import type { Diagnostic } from "../../recipe/diagnostics.js";
import { type ExecuteResult, execute } from "../execute.js";
import type { RunnerManifest } from "../manifest-port.js";
import type { RecipeTree, TreeRecipe } from "./graph.js";
import { declaredVars } from "./plan-tree.js";
import { scheduleTree, type TreeOutcome } from "./schedule.js";

/** What a tree build needs besides the tree. */
export interface ExecuteTreeOptions {
  manifest: RunnerManifest;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  /** Variables for the tree, as `NAME=VALUE`; each recipe gets the ones it declares. */
  vars: Map<string, string>;
  /** A `--target` driver override for every recipe. */
  target?: string;
  jobs: number;
  failFast?: boolean;
  noCache?: boolean;
  /** Where each verified image's package inventory is stored (see `ExecuteOptions.sideData`). */
  sideData?: SideData;
  /** Build only these lineages (the others are taken from the manifest). @default every recipe */
  select?: ReadonlySet<string>;
  /** The tree's run id, recorded in every record it makes as `details.cascade`. */
  cascadeId: string;
  /** A reporter for one recipe's build (its events are that recipe's alone), hiding that recipe's secrets. */
  reporterFor(recipe: TreeRecipe, secrets: SecretValues): Promise<Reporter>;
  /** Told about a recipe's warnings before it builds. */
  onWarnings?(recipe: TreeRecipe, warnings: Diagnostic[]): void;
}

/** How one recipe of the tree went. */
export interface TreeRecipeResult {
  lineage: string;
  file: string;
  status: "built" | "up-to-date" | "failed" | "skipped" | "not-selected";
  result?: ExecuteResult;
  /** Why it failed or was skipped. */
  reason?: string;
  error?: unknown;
}

/**
 * Builds a tree of recipes in dependency order, in parallel where independent. Each child builds on the exact
 * record its parent got in this run, never on a floating lookup a concurrent writer could move. Every image
 * record carries the cascade id and, for children, the parent build it followed.
 */
export async function executeTree(
  tree: RecipeTree,
  options: ExecuteTreeOptions,
): Promise<TreeRecipeResult[]> {
  const outcomes = await scheduleTree<ExecuteResult>(tree, {
    jobs: options.jobs,
    signal: options.signal,
    ...(options.failFast === undefined ? {} : { failFast: options.failFast }),
    ...(options.select === undefined ? {} : { select: options.select }),
    run: async ({ recipe, parent, signal }) => {
      const planned = await planRecipe(recipe.path, {
        cwd: options.cwd,
        env: options.env,
        cliVars: declaredVars(recipe, options.vars),
        ...(options.target === undefined ? {} : { target: options.target }),
        requireSecrets: true,
      });
      if (planned.warnings.length > 0) options.onWarnings?.(recipe, planned.warnings);
      const driver = await loadDriver(planned.plan.target.driver);
      const prepared = driver.prepare(planned.plan.target);
      if (prepared.errors.length > 0) {
        throw new BakeError({
          code: "target-invalid",
          message: `the ${driver.id} target cannot build ${recipe.file}: ${prepared.errors.join("; ")}`,
          hint: `fix "target:" in ${recipe.file}, or choose another driver with --target`,
        });
      }
      const pinned = parent && planned.plan.parent.kind === "lineage" ? parent.value.record : undefined;
      const reporter = await options.reporterFor(recipe, planned.secrets);
      try {
        return await execute(planned.plan, {
          driver,
          manifest: options.manifest,
          reporter,
          signal,
          secrets: planned.secrets,
          cwd: options.cwd,
          root: planned.root,
          env: options.env,
          ...(options.noCache ? { noCache: true } : {}),
          ...(options.sideData ? { sideData: options.sideData } : {}),
          ...(pinned ? { parentRecord: pinned.id } : {}),
          details: {
            cascade: options.cascadeId,
            ...(pinned ? { cascadeAfter: `${pinned.lineage}#${pinned.build ?? "?"}` } : {}),
          },
        });
      } finally {
        await reporter.close();
      }
    },
  });
  return tree.order.map((recipe) => resultOf(recipe, outcomes.get(recipe.lineage)));
}

function resultOf(recipe: TreeRecipe, outcome: TreeOutcome<ExecuteResult> | undefined): TreeRecipeResult {
  const base = { lineage: recipe.lineage, file: recipe.file };
  if (outcome === undefined) return { ...base, status: "not-selected" };
  switch (outcome.status) {
    case "done":
      return { ...base, status: outcome.value.upToDate ? "up-to-date" : "built", result: outcome.value };
    case "skipped":
      return { ...base, status: "skipped", reason: outcome.reason };
    case "failed":
      return {
        ...base,
        status: "failed",
        reason: outcome.error instanceof Error ? outcome.error.message : String(outcome.error),
        error: outcome.error,
      };
  }
}
