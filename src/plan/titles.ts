import type { PlanString } from "./types.js";

const MAX_TITLE = 72;

/** A one-line title for a run step: the first line of its script, or its argv. */
export function runTitle(step: { script?: string; argv?: string[] }): string {
  if (step.argv) return shorten(`run ${step.argv.map(quoteArg).join(" ")}`);
  const lines = (step.script ?? "").split("\n").map((line) => line.trim());
  const first = lines.find((line) => line !== "" && !line.startsWith("#")) ?? "";
  const more = lines.filter((line) => line !== "" && !line.startsWith("#")).length > 1;
  return shorten(`run ${first}${more ? " …" : ""}`);
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

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length <= MAX_TITLE ? oneLine : `${oneLine.slice(0, MAX_TITLE - 1)}…`;
}
