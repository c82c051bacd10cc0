import type { BuildEvent, Reporter } from "../../drivers/events.js";
import { createRedactor } from "../../drivers/redact.js";
import type { SecretValues } from "../../plan/secrets.js";
import type { TextOut } from "../../util/text-out.js";
import { createReporter, type ReporterMode } from "../reporters/index.js";
import type { TreeRecipeResult } from "./execute-tree.js";

/** Progress for a whole tree build: a reporter per recipe, and a last word once every recipe has ended. */
export interface TreeProgress {
  reporterFor(lineage: string, secrets: SecretValues): Promise<Reporter>;
  /** Says why the recipes that never started did not, and waits for the view to finish. */
  finish(results: readonly TreeRecipeResult[]): Promise<void>;
}

/**
 * Progress for a tree build. On a terminal, one listr2 list with a task per recipe, independent recipes side by
 * side, each with its layers, steps and checks. Plain lines start with `[lineage]`, so interleaved builds stay
 * readable in a CI log. JSON events carry the recipe's lineage and the tree's run id.
 */
export async function createTreeProgress(options: {
  mode: ReporterMode;
  out: TextOut;
  treeRunId: string;
  /** The tree's lineages in build order. */
  lineages: readonly string[];
}): Promise<TreeProgress> {
  if (options.mode === "tty") {
    const { createListrTree } = await import("../reporters/listr-tree.js");
    const view = await createListrTree({ lineages: options.lineages });
    return {
      reporterFor: (lineage, secrets) => view.reporterFor(lineage, createRedactor(secrets)),
      finish: (results) =>
        view.finish(
          new Map(
            results
              .filter((result) => result.reason !== undefined)
              .map((result) => [result.lineage, result.reason as string]),
          ),
        ),
    };
  }
  if (options.mode === "json") {
    return {
      async reporterFor(lineage, secrets) {
        const inner = await createReporter({ mode: "json", out: options.out, secrets });
        return {
          // A JSON line carries more than the event's own fields: whose build it is, and which tree.
          emit: (event) =>
            inner.emit({ ...event, lineage, tree: options.treeRunId } as unknown as BuildEvent),
          close: () => inner.close(),
        };
      },
      finish: async () => {},
    };
  }
  return {
    reporterFor(lineage, secrets) {
      const prefix = `[${lineage}] `;
      const out: TextOut = {
        write: (text: string) =>
          options.out.write(
            text
              .split("\n")
              .map((line, index, all) => (index === all.length - 1 && line === "" ? line : prefix + line))
              .join("\n"),
          ),
      };
      return createReporter({ mode: "plain", out, secrets });
    },
    finish: async () => {},
  };
}
