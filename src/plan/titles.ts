import type { PlanString } from "./types.js";

const MAX_TITLE = 72;

/** A one-line title for a run step: the first line of its script, or its argv. */
export function runTitle(step: { script?: string; argv?: string[] }): string {
  if (step.argv) return shorten(`run ${step.argv.map(quoteArg).join(" ")}`);
  // The first line that is neither blank nor a comment, and whether another follows it; one pass, no line array.
  const script = step.script ?? "";
  let first: string | undefined;
  let more = false;
  for (let start = 0; start <= script.length; ) {
    const end = script.indexOf("\n", start);
    const line = script.slice(start, end === -1 ? script.length : end).trim();
    if (line !== "" && !line.startsWith("#")) {
      if (first !== undefined) {
        more = true;
        break;
      }
      first = line;
    }
    if (end === -1) break;
    start = end + 1;
  }
  return shorten(`run ${first ?? ""}${more ? " …" : ""}`);
}

export function copyTitle(step: { from: string; to: string }): string {
  return shorten(`copy ${step.from} -> ${step.to}`);
}

export function fileTitle(step: { path: string; content: PlanString }): string {
  return shorten(`file ${step.path}${typeof step.content === "string" ? "" : " (uses secrets)"}`);
}

function quoteArg(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

// Whitespace other than a single space: what the collapse below would change.
const UNEVEN_SPACE = /[^\S ]| {2}/;

function shorten(text: string): string {
  const oneLine = UNEVEN_SPACE.test(text) ? text.replace(/\s+/g, " ") : text;
  return oneLine.length <= MAX_TITLE ? oneLine : `${oneLine.slice(0, MAX_TITLE - 1)}…`;
}
