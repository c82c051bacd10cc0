import type { Reporter } from "../../drivers/events.js";
import type { Redactor } from "../../drivers/redact.js";
import { printable } from "../../util/printable.js";
import { createListrReporter, type ListrTask } from "./listr.js";

/** What a recipe's line in the tree view waits for: its build's tasks, or the reason it never started. */
type Start = { tasks: ListrTask[] } | { skip: string };

/** The terminal view of a tree build: one listr2 list, a task per recipe, independent recipes side by side. */
export interface ListrTree {
  /** A reporter for one recipe's build; its layers, steps and checks nest under the recipe's task. */
  reporterFor(lineage: string, redact: Redactor): Promise<Reporter>;
  /** Marks every recipe that never started with its reason, and waits for the view to finish drawing. */
  finish(notStarted: ReadonlyMap<string, string>): Promise<void>;
}

/**
 * Creates the tree view for recipes in build order. listr2 is loaded only here and in `listr.ts`, and only when
 * a terminal asks for it.
 */
export async function createListrTree(options: {
  lineages: readonly string[];
  forceTTY?: boolean;
}): Promise<ListrTree> {
  const { Listr, PRESET_TIMER } = await import("listr2");
  const starts = new Map<
    string,
    { promise: Promise<Start>; resolve(start: Start): void; settled: boolean }
  >();
  for (const lineage of options.lineages) {
    let resolve!: (start: Start) => void;
    const promise = new Promise<Start>((done) => {
      resolve = done;
    });
    const entry = {
      promise,
      settled: false,
      resolve: (start: Start) => {
        if (entry.settled) return;
        entry.settled = true;
        resolve(start);
      },
    };
    starts.set(lineage, entry);
  }
  const list = new Listr(
    options.lineages.map((lineage) => ({
      title: lineage,
      task: async (_ctx: unknown, task: Parameters<ListrTask["task"]>[1]) => {
        const start = await (starts.get(lineage) as { promise: Promise<Start> }).promise;
        if ("skip" in start) {
          // The reason can quote an error, and so a recipe: escaped, on one line.
          task.skip(`${lineage}: ${printable(start.skip)}`);
          return;
        }
        return task.newListr(start.tasks, { exitOnError: true, rendererOptions: { collapseSubtasks: true } });
      },
    })),
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      forceTTY: options.forceTTY ?? false,
      rendererOptions: { timer: PRESET_TIMER, collapseSubtasks: false, showErrorMessage: true },
    },
  );
  const running = list.run().catch(() => {});
  return {
    reporterFor: (lineage, redact) =>
      createListrReporter({
        redact,
        mount: async (tasks) => starts.get(lineage)?.resolve({ tasks }),
      }),
    async finish(notStarted) {
      for (const [lineage, entry] of starts) {
        if (!entry.settled) entry.resolve({ skip: notStarted.get(lineage) ?? "not run" });
      }
      await running;
    },
  };
}
