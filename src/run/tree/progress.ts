import type { BuildEvent, Reporter } from "../../drivers/events.js";
import type { SecretValues } from "../../plan/secrets.js";
import type { TextOut } from "../../util/text-out.js";
import { createReporter, type ReporterMode } from "../reporters/index.js";

/**
 * Progress for one recipe of a tree build. JSON events carry the recipe's lineage and the tree's run id; plain
 * lines start with `[lineage]`, so interleaved builds stay readable in a CI log. A terminal gets the plain lines too.
 */
export async function treeReporter(options: {
  mode: ReporterMode;
  out: TextOut;
  lineage: string;
  treeRunId: string;
  secrets: SecretValues;
}): Promise<Reporter> {
  if (options.mode === "json") {
    const inner = await createReporter({ mode: "json", out: options.out, secrets: options.secrets });
    return {
      // A JSON line carries more than the event's own fields: whose build it is, and which tree.
      emit: (event) =>
        inner.emit({ ...event, lineage: options.lineage, tree: options.treeRunId } as unknown as BuildEvent),
      close: () => inner.close(),
    };
  }
  const prefix = `[${options.lineage}] `;
  const out: TextOut = {
    write: (text: string) =>
      options.out.write(
        text
          .split("\n")
          .map((line, index, all) => (index === all.length - 1 && line === "" ? line : prefix + line))
          .join("\n"),
      ),
  };
  return createReporter({ mode: "plain", out, secrets: options.secrets });
}
