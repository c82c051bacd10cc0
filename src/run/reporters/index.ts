import type { Reporter } from "../../drivers/events.js";
import { createRedactor } from "../../drivers/redact.js";
import type { SecretValues } from "../../plan/secrets.js";
import type { TextOut } from "../../util/text-out.js";
import { createJsonReporter } from "./json.js";
import type { ReporterMode } from "./mode.js";
import { createPlainReporter } from "./plain.js";

export { type ReporterMode, reporterMode } from "./mode.js";

/**
 * Creates a reporter that hides every secret value (as `***`) in everything it prints.
 * The listr2 renderer is imported only for `tty`, so plain and JSON runs never load it.
 */
export async function createReporter(options: {
  mode: ReporterMode;
  out: TextOut;
  secrets: SecretValues;
}): Promise<Reporter> {
  const redact = createRedactor(options.secrets);
  switch (options.mode) {
    case "json":
      return createJsonReporter({ out: options.out, redact });
    case "plain":
      return createPlainReporter({ out: options.out, redact });
    case "tty": {
      const { createListrReporter } = await import("./listr.js");
      return createListrReporter({ redact });
    }
  }
}

/** Sends each event to several reporters (a test probe beside a renderer, for example). */
export function fanOut(...reporters: Reporter[]): Reporter {
  return {
    emit: (event) => {
      for (const reporter of reporters) reporter.emit(event);
    },
    close: async () => {
      await Promise.all(reporters.map((reporter) => reporter.close()));
    },
  };
}
