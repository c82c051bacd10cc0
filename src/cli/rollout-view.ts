import type { RolloutEvent } from "../fleet/rollout.js";
import type { ReporterMode } from "../run/reporters/index.js";
import { printable } from "../util/printable.js";
import type { TextOut } from "../util/text-out.js";
import { jsonLine } from "./manifest-support.js";

/** One line for a rollout event, for people. */
export function describeRolloutEvent(event: RolloutEvent): string {
  switch (event.type) {
    case "rollout-planned":
      return `rollout ${event.group}: ${event.fromTemplate} -> ${event.toTemplate} (${event.total} instances)`;
    case "rollout-note":
      return event.message;
    case "rollout-progress": {
      const verb = event.phase === "rollback" ? "rolled back" : "replaced";
      const checked = event.checked === undefined ? "" : `, ${event.checked} passed rollout checks`;
      return `${event.phase} ${event.group}: ${event.replaced}/${event.total} ${verb} (${event.instances} instances, ${event.healthy} healthy${checked})`;
    }
    case "rollout-failed":
      return `rollout failed: ${event.reason}${event.rollback ? "; rolling back" : "; leaving the group as it is (--no-rollback)"}`;
  }
}

/**
 * Shows a rollout's progress: a live listr2 task on a terminal (its title is replaced/total), timestamped plain lines
 * in CI and pipes, or one JSON object per line per event with `--json`. `work` receives the function to send events to.
 */
export async function withRolloutView<T>(input: {
  mode: ReporterMode;
  out: TextOut;
  title: string;
  work: (emit: (event: RolloutEvent) => void) => Promise<T>;
}): Promise<T> {
  const { mode, out } = input;
  if (mode === "json") {
    return input.work((event) => out.write(jsonLine({ time: new Date().toISOString(), ...event })));
  }
  if (mode === "plain") {
    return input.work((event) =>
      out.write(`${new Date().toISOString().slice(11, 23)} ${printable(describeRolloutEvent(event))}\n`),
    );
  }
  // listr2 loads only for a terminal.
  const { Listr } = await import("listr2");
  let result: { value: T } | undefined;
  const notes: string[] = [];
  const list = new Listr(
    [
      {
        title: printable(input.title),
        task: async (_ctx, task) => {
          result = {
            value: await input.work((event) => {
              if (event.type === "rollout-progress") task.title = printable(describeRolloutEvent(event));
              else notes.push(printable(describeRolloutEvent(event)));
              if (event.type !== "rollout-progress") task.output = printable(describeRolloutEvent(event));
            }),
          };
        },
      },
    ],
    { exitOnError: true, rendererOptions: { collapseErrors: false } },
  );
  try {
    await list.run();
  } finally {
    for (const note of notes) out.write(`${note}\n`);
  }
  return (result as { value: T }).value;
}
