import type { BuildEvent, Reporter } from "../../drivers/events.js";
import type { Redactor } from "../../drivers/redact.js";
import type { TextOut } from "../../util/text-out.js";
import { describeEvent, shownLine } from "./format.js";

/**
 * Plain lines with a UTC timestamp, for CI logs and pipes: no cursor movement, no colour, one line per event.
 */
export function createPlainReporter(options: { out: TextOut; redact: Redactor; now?: () => Date }): Reporter {
  const now = options.now ?? (() => new Date());
  return {
    emit(event: BuildEvent) {
      const text = describeEvent(event);
      if (text === undefined) return;
      const stamp = now().toISOString().slice(11, 23);
      // One line per event, always: a newline in a value shows as `\n` and cannot forge a line of its own.
      options.out.write(`${stamp} ${shownLine(text, options.redact)}\n`);
    },
    async close() {},
  };
}
