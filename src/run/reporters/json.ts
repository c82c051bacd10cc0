import type { BuildEvent, Reporter } from "../../drivers/events.js";
import type { TextOut } from "../../util/text-out.js";
import type { Redactor } from "../redact.js";

/** One JSON object per line: `{"time": ISO-8601, "type": ..., ...}`, with every string value redacted. */
export function createJsonReporter(options: { out: TextOut; redact: Redactor; now?: () => Date }): Reporter {
  const now = options.now ?? (() => new Date());
  return {
    emit(event: BuildEvent) {
      const line = { time: now().toISOString(), ...(redactValue(event, options.redact) as BuildEvent) };
      options.out.write(`${JSON.stringify(line)}\n`);
    },
    async close() {},
  };
}

// Redacting before serialising keeps the JSON valid even when a secret holds quotes or backslashes.
function redactValue(value: unknown, redact: Redactor): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redact));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, redact)]));
  }
  return value;
}
