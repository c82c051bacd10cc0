import type { ListrTaskWrapper } from "listr2";
import type { BuildEvent, Reporter } from "../../drivers/events.js";
import type { Redactor } from "../../drivers/redact.js";
import { shortId, shownLine } from "./format.js";

/** A promise settled from outside, by the events that end a task. */
interface Gate<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
  settled: boolean;
}

function gate<T>(): Gate<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Gates that no task awaits (a layer after a failure) must not become unhandled rejections.
  promise.catch(() => {});
  const result: Gate<T> = {
    promise,
    settled: false,
    resolve: (value) => {
      result.settled = true;
      resolve(value);
    },
    reject: (error) => {
      result.settled = true;
      reject(error);
    },
  };
  return result;
}

/** Settles a gate when the build was interrupted: its task shows as skipped with this reason, not as failed. */
class Interrupted extends Error {}

// biome-ignore lint/suspicious/noExplicitAny: listr2's wrapper type is generic over its renderers.
type Task = ListrTaskWrapper<any, any, any>;

/** One task of a listr2 list, as this renderer builds them. */
export interface ListrTask {
  title: string;
  task: (ctx: unknown, task: Task) => Promise<unknown>;
}

interface ChildSlot {
  title: string;
  task?: Task;
  done: Gate<void>;
  /** Its step-finished or check-finished said the build was interrupted. */
  interrupted?: boolean;
}

// Skip reasons: for what was running when the build was interrupted, and for what never started.
const INTERRUPTED = "interrupted";
const NOT_RUN = "not run (build interrupted)";

// Runs a task's body; an interruption skips the task with its reason instead of failing it.
async function unlessInterrupted<T>(
  task: Task,
  title: string,
  body: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    task.skip(`${title}: ${error.message}`);
    return undefined;
  }
}

/**
 * The terminal renderer: a listr2 task per layer, nested tasks per step and per check, elapsed times, and each
 * step's latest output lines under it. listr2 is loaded here only, and only when a terminal asks for it.
 */
export async function createListrReporter(options: {
  redact: Redactor;
  /** Render as on a terminal even when stdout is not one (tests). @default false */
  forceTTY?: boolean;
  /**
   * Where the build's tasks go: by default a task list of its own; a tree build nests them under the recipe's task
   * in one list of concurrent recipes (see `listr-tree.ts`).
   */
  mount?: (tasks: ListrTask[]) => Promise<unknown>;
}): Promise<Reporter> {
  const { Listr, PRESET_TIMER } = await import("listr2");
  // Every title, output line and message is redacted and escaped: one line each, nothing that drives the terminal.
  const shown = (text: string) => shownLine(text, options.redact);
  let running: Promise<unknown> | undefined;
  let parent = gate<string>();
  let layerStarts: Gate<Extract<BuildEvent, { type: "layer-started" }>>[] = [];
  let layerTasks: (Task | undefined)[] = [];
  let steps: ChildSlot[][] = [];
  let verifyStart = gate<string[] | undefined>();
  let checks: ChildSlot[] = [];
  let verifyTask: Task | undefined;
  let result = gate<string>();
  let layerIndex = new Map<string, number>();
  // Notes (warnings) would be redrawn away by the task list; they are printed under it at the end.
  const notes: string[] = [];
  const gates = (): Gate<unknown>[] => [
    parent,
    ...layerStarts,
    ...steps.flat().map((slot) => slot.done),
    verifyStart,
    ...checks.map((slot) => slot.done),
    result,
  ];
  const childTasks = (titles: string[], slots: ChildSlot[]) =>
    titles.map((title, index) => ({
      title: shown(title),
      task: async (_ctx: unknown, task: Task) => {
        const slot = slots[index];
        if (!slot) return;
        slot.task = task;
        await unlessInterrupted(task, shown(title), () => slot.done.promise);
      },
    }));

  const start = (event: Extract<BuildEvent, { type: "build-started" }>) => {
    parent = gate();
    layerIndex = new Map(event.layers.map((name, index) => [name, index]));
    layerStarts = event.layers.map(() => gate());
    layerTasks = event.layers.map(() => undefined);
    steps = event.layers.map(() => []);
    verifyStart = gate();
    checks = [];
    verifyTask = undefined;
    result = gate();
    const tasks: ListrTask[] = [
      {
        title: "resolve parent",
        task: async (_ctx: unknown, task: Task) => {
          await unlessInterrupted(task, "resolve parent", async () => {
            task.title = shown(await parent.promise);
          });
        },
      },
      ...event.layers.map((name, index) => ({
        title: `layer ${name}`,
        task: async (_ctx: unknown, task: Task) => {
          layerTasks[index] = task;
          const started = await unlessInterrupted(
            task,
            `layer ${name}`,
            async () => layerStarts[index]?.promise,
          );
          if (started === undefined) return;
          if (started.cached) {
            task.skip(`layer ${name}: cached`);
            return;
          }
          return task.newListr(childTasks(started.steps ?? [], steps[index] ?? []), {
            exitOnError: true,
            rendererOptions: { collapseSubtasks: true },
          });
        },
      })),
      {
        title: "verify on a fresh instance",
        task: async (_ctx: unknown, task: Task) => {
          verifyTask = task;
          // Wrapped, because an image up to date also leaves `names` undefined.
          const started = await unlessInterrupted(task, "verify", async () => ({
            names: await verifyStart.promise,
          }));
          if (started === undefined) return;
          const names = started.names;
          if (names === undefined) {
            task.skip("verify: image up to date");
            return;
          }
          return task.newListr(childTasks(names, checks), {
            concurrent: false,
            exitOnError: true,
            rendererOptions: { collapseSubtasks: false },
          });
        },
      },
      {
        title: "register",
        task: async (_ctx: unknown, task: Task) => {
          await unlessInterrupted(task, "register", async () => {
            task.title = shown(await result.promise);
          });
        },
      },
    ];
    const mount =
      options.mount ??
      ((list: ListrTask[]) =>
        new Listr(list, {
          exitOnError: true,
          registerSignalListeners: false,
          forceTTY: options.forceTTY ?? false,
          rendererOptions: { timer: PRESET_TIMER, collapseSubtasks: false, showErrorMessage: true },
        }).run());
    running = mount(tasks).catch(() => {});
  };

  const settleAll = (error?: Error) => {
    for (const entry of gates()) {
      if (entry.settled) continue;
      if (error) entry.reject(error);
      else entry.resolve(undefined);
    }
  };

  // A step or check that had started was cut short; everything else never ran.
  const settleInterrupted = () => {
    for (const slot of [...steps.flat(), ...checks]) {
      if (!slot.done.settled) slot.done.reject(new Interrupted(slot.task ? INTERRUPTED : NOT_RUN));
    }
    settleAll(new Interrupted(NOT_RUN));
  };

  return {
    emit(event: BuildEvent) {
      switch (event.type) {
        case "build-started":
          start(event);
          return;
        case "parent-resolved":
          parent.resolve(
            event.ref === event.id ? `parent ${event.id}` : `parent ${event.ref} -> ${event.id}`,
          );
          return;
        case "layer-started": {
          steps[event.index] = (event.steps ?? []).map((title) => ({ title, done: gate<void>() }));
          layerStarts[event.index]?.resolve(event);
          return;
        }
        case "step-finished": {
          const slot = findLayerSlot(event.layer, event.step);
          if (!slot) return;
          if (event.ok) slot.done.resolve();
          else if (event.interrupted) {
            slot.interrupted = true;
            slot.done.reject(new Interrupted(INTERRUPTED));
          } else
            slot.done.reject(
              new Error(
                shown(
                  `${slot.title}: failed${event.exitCode === undefined ? "" : ` (exit ${event.exitCode})`}`,
                ),
              ),
            );
          return;
        }
        case "layer-finished": {
          const task = layerTasks[event.index];
          if (task && event.ok && !event.cached && event.artifact) {
            task.title = shown(`layer ${event.layer} -> ${shortId(event.artifact)}`);
          }
          // Skipped from outside: listr2 keeps the skip once its steps settle. A skipped layer folds its steps
          // away, so its line names the step that was cut short.
          if (task && event.interrupted) {
            const cut = steps[event.index]?.find((slot) => slot.interrupted);
            task.skip(shown(`layer ${event.layer}: ${INTERRUPTED}${cut ? ` in ${cut.title}` : ""}`));
          }
          return;
        }
        case "output": {
          const slot =
            event.check !== undefined
              ? checks[event.check]
              : event.layer !== undefined && event.step !== undefined
                ? findLayerSlot(event.layer, event.step)
                : undefined;
          if (slot?.task) slot.task.output = shown(event.line);
          return;
        }
        case "verify-started":
          checks = event.checks.map((title) => ({ title, done: gate<void>() }));
          verifyStart.resolve(event.checks);
          return;
        case "check-attempt": {
          const slot = checks[event.check];
          if (slot?.task && !event.ok && event.message) {
            slot.task.output = shown(`attempt ${event.attempt}: ${event.message}`);
          }
          return;
        }
        case "check-finished": {
          const slot = checks[event.check];
          if (!slot) return;
          if (event.ok) slot.done.resolve();
          else if (event.interrupted) {
            slot.done.reject(new Interrupted(INTERRUPTED));
            verifyTask?.skip(shown(`verify: ${INTERRUPTED} in ${slot.title}`));
          } else slot.done.reject(new Error(shown(`${event.name}: ${event.message ?? "failed"}`)));
          return;
        }
        case "up-to-date":
          if (!verifyStart.settled) verifyStart.resolve(undefined);
          result.resolve(`up to date: ${event.lineage} ${event.version} build ${event.build}`);
          return;
        case "registered":
          result.resolve(
            `registered ${event.lineage} ${event.version} build ${event.build} (${shortId(event.recordId)})`,
          );
          return;
        case "build-finished":
          if (event.interrupted) settleInterrupted();
          else settleAll(event.ok ? undefined : new Error(shown(event.error ?? "build failed")));
          return;
        case "published":
          notes.push(shown(`published ${event.destination} as ${event.digest}`));
          return;
        case "note":
          notes.push(shown(event.layer ? `layer ${event.layer}: ${event.message}` : event.message));
          return;
        default:
          return;
      }
    },
    async close() {
      settleAll(new Error("build ended"));
      await running;
      for (const note of notes) process.stdout.write(`${note}\n`);
    },
  };

  function findLayerSlot(layer: string, step: number): ChildSlot | undefined {
    // Layer names are unique in a recipe, so the first layer with this name is the one.
    const index = layerIndex.get(layer);
    return index === undefined ? undefined : steps[index]?.[step];
  }
}
