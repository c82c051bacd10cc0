import type { BuildEvent, Reporter } from "../../drivers/events.js";
import { type Redactor, redactDeep } from "../../drivers/redact.js";
import type { TextOut } from "../../util/text-out.js";

/** One JSON object per line: `{"time": ISO-8601, "type": ..., ...}`, with every string value redacted. */
export function createJsonReporter(options: { out: TextOut; redact: Redactor; now?: () => Date }): Reporter {
  const now = options.now ?? (() => new Date());
  return {
    emit(event: BuildEvent) {
      const line = { time: now().toISOString(), ...redactDeep(event, options.redact) };
      options.out.write(`${JSON.stringify(line)}\n`);
    },
    async close() {},
  };
}
