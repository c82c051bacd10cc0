import type { TextOut } from "../../util/text-out.js";

// Apart from the reporters, so importing `@bakehq/bake/run` (or the root) loads none of them.

/** How progress is shown: live tasks on a terminal, timestamped lines in CI, or JSON lines for tools. */
export type ReporterMode = "tty" | "plain" | "json";

/**
 * Picks the mode a user expects: `json` when asked, live tasks only on a terminal outside CI, plain lines otherwise.
 */
export function reporterMode(options: {
  json: boolean;
  out: TextOut;
  env: Readonly<Record<string, string | undefined>>;
}): ReporterMode {
  if (options.json) return "json";
  const ci = (options.env.CI ?? "") !== "" && options.env.CI !== "false";
  return options.out.isTTY && !ci && options.env.TERM !== "dumb" ? "tty" : "plain";
}
