import type { BuildEvent, Reporter } from "../../drivers/events.js";
import type { Redactor } from "../../drivers/redact.js";
import type { TextOut } from "../../util/text-out.js";
import { describeEvent } from "./format.js";

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
      // Redacted whole before it is split, so a secret spanning lines is found as one.
      for (const line of options.redact(text).split("\n")) options.out.write(`${stamp} ${line}\n`);
    },
    async close() {},
  };
}
