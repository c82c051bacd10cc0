import type { BuildEvent } from "../../drivers/events.js";
import type { Redactor } from "../../drivers/redact.js";
import { printable } from "../../util/printable.js";

/** Formats a duration for people: `840ms`, `12.3s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, "0")}s`;
}

/** Shortens `sha256:<hex>` ids to 12 hex digits for progress lines; other ids are kept whole. */
export function shortId(id: string): string {
  const match = /^sha256:([0-9a-f]{12})[0-9a-f]*$/.exec(id);
  return match ? `sha256:${match[1]}` : id;
}

/**
 * Text from a build (a recipe's titles and values, a step's output, a driver's message) made into one line a
 * person can read safely: secrets hidden, then control characters, escape sequences, bidirectional overrides and
 * newlines shown as escapes (`\e`, `\n`, `\u202e`), as `bake history` shows them, so nothing a recipe, a variable
 * or a step prints can drive the terminal or forge a line of its own. Tabs are kept.
 */
export function shownLine(text: string, redact: Redactor): string {
  // Hidden before escaping, so a secret holding control characters is still found as itself; and after, so an
  // escape that happens to spell a secret is not shown either.
  return redact(printable(redact(text)));
}

/** One human line per event, or undefined for events a line-based reporter does not print. */
export function describeEvent(event: BuildEvent): string | undefined {
  switch (event.type) {
    case "build-started":
      return `build ${event.lineage} ${event.version} with ${event.driver} (run ${event.runId}): ${event.layers.length} layer(s)`;
    case "parent-resolved":
      return event.ref === event.id ? `parent ${event.id}` : `parent ${event.ref} -> ${event.id}`;
    case "layer-started":
      return event.cached
        ? `layer ${event.layer}: cached`
        : `layer ${event.layer}: building (cache key ${shortId(event.cacheKey)})`;
    case "layer-finished":
      if (event.cached) return undefined;
      return event.ok
        ? `layer ${event.layer}: done in ${formatDuration(event.durationMs)}${event.artifact ? ` -> ${shortId(event.artifact)}` : ""}`
        : `layer ${event.layer}: ${event.interrupted ? "interrupted" : "failed"} after ${formatDuration(event.durationMs)}`;
    case "step-started":
      return `layer ${event.layer} step ${event.step + 1}: ${event.title}`;
    case "step-finished":
      if (event.interrupted)
        return `layer ${event.layer} step ${event.step + 1}: interrupted after ${formatDuration(event.durationMs)}`;
      return event.ok
        ? `layer ${event.layer} step ${event.step + 1}: ok in ${formatDuration(event.durationMs)}`
        : `layer ${event.layer} step ${event.step + 1}: failed${event.exitCode === undefined ? "" : ` (exit ${event.exitCode})`} after ${formatDuration(event.durationMs)}`;
    case "output":
      return `${outputPrefix(event)}${event.line}`;
    case "note":
      return event.layer ? `layer ${event.layer}: ${event.message}` : event.message;
    case "verify-started":
      return `verify ${shortId(event.image)}: ${event.checks.length} check(s)`;
    case "check-started":
      return `check ${event.check + 1}: ${event.name}`;
    case "check-attempt":
      return event.ok
        ? undefined
        : `check ${event.check + 1}: attempt ${event.attempt} failed${event.message ? `: ${event.message}` : ""}`;
    case "check-finished":
      if (event.interrupted)
        return `check ${event.check + 1}: ${event.name}: interrupted after ${formatDuration(event.durationMs)}`;
      return event.ok
        ? `check ${event.check + 1}: ${event.name}: ok in ${formatDuration(event.durationMs)}`
        : `check ${event.check + 1}: ${event.name}: FAILED after ${event.attempts} attempt(s)${event.message ? `: ${event.message}` : ""}`;
    case "up-to-date":
      return `up to date: ${event.lineage} ${event.version} build ${event.build} (${shortId(event.recordId)}); nothing to do`;
    case "registered":
      return `registered ${event.lineage} ${event.version} build ${event.build} as ${shortId(event.recordId)}`;
    case "published":
      return `published ${event.destination} as ${event.digest}`;
    case "build-finished":
      if (event.interrupted) return `build interrupted after ${formatDuration(event.durationMs)}`;
      return event.ok
        ? `build finished in ${formatDuration(event.durationMs)}`
        : `build failed after ${formatDuration(event.durationMs)}${event.error ? `: ${event.error}` : ""}`;
  }
}

function outputPrefix(event: Extract<BuildEvent, { type: "output" }>): string {
  if (event.check !== undefined) return `  check ${event.check + 1} | `;
  if (event.layer !== undefined)
    return `  ${event.layer}${event.step === undefined ? "" : `:${event.step + 1}`} | `;
  return "  | ";
}
