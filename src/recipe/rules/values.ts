import { parseDuration } from "../duration.js";
import { spanAtPath } from "../fast-yaml/span.js";
import { readMode } from "../mode.js";
import type { RecipePath } from "../source.js";
import { type Rule, type RuleContext, report } from "./context.js";

/** The longest duration bake accepts (what a Node timer can hold, about 24 days). */
const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * Durations are within what a timer can wait; modes are ones bake can read (0 to 07777, octal digits after a
 * leading 0), and one written as a decimal look-alike of octal is flagged.
 */
export const durationsAndModes: Rule = (ctx) => {
  ctx.recipe.layers.forEach((layer, l) => {
    layer.steps.forEach((step, s) => {
      const base = ["layers", l, "steps", s];
      if ("run" in step && step.timeout !== undefined) checkDuration(ctx, [...base, "timeout"], step.timeout);
      if ("copy" in step) checkMode(ctx, [...base, "copy", "mode"], step.copy.mode);
      if ("file" in step) checkMode(ctx, [...base, "file", "mode"], step.file.mode);
    });
  });
  (ctx.recipe.verify ?? []).forEach((check, c) => {
    for (const key of ["interval", "timeout"] as const) {
      const value = check[key];
      if (value !== undefined) checkDuration(ctx, ["verify", c, key], value);
    }
    if ("file" in check) checkMode(ctx, ["verify", c, "file", "mode"], check.file.mode);
  });
  (ctx.recipe.rollout?.checks ?? []).forEach((check, c) => {
    for (const key of ["interval", "timeout"] as const) {
      const value = check[key];
      if (value !== undefined) checkDuration(ctx, ["rollout", "checks", c, key], value);
    }
  });
};

function checkDuration(ctx: RuleContext, path: RecipePath, text: string): void {
  const ms = parseDuration(text);
  if (ms !== undefined && ms > MAX_DURATION_MS) {
    report(
      ctx,
      "error",
      { path },
      {
        code: "duration-too-long",
        message: `duration ${text} is longer than bake can wait (about 24 days)`,
        hint: "use a shorter duration, such as 1h",
      },
    );
  } else if (ms === 0) {
    report(
      ctx,
      "error",
      { path },
      {
        code: "duration-zero",
        message: `duration ${text} is zero`,
        hint: "use a positive duration, such as 500ms or 2s",
      },
    );
  }
}

// A mode bake cannot read (see readMode) is an error; YAML 1.2 reads `755` and `0755` as decimal numbers, and a
// leading 0 clearly means octal, but a bare `755` is almost certainly a mistake.
function checkMode(ctx: RuleContext, path: RecipePath, mode: string | number | undefined): void {
  if (mode === undefined) return;
  const written = typeof mode === "number" ? sourceText(ctx, path) : "";
  const reading = readMode(mode, written);
  if (reading.problem) {
    report(ctx, "error", { path }, reading.problem);
    return;
  }
  if (typeof mode === "number" && /^[1-7][0-7]{2,3}$/.test(written)) {
    report(
      ctx,
      "warning",
      { path },
      {
        code: "mode-decimal",
        message: `mode ${written} is the decimal number ${written} (octal ${mode.toString(8)})`,
        hint: `write it as the string "0${written}" for octal permissions`,
      },
    );
  }
}

/** The text of the scalar at `path` as written in the recipe. */
export function sourceText(ctx: Pick<RuleContext, "source">, path: RecipePath): string {
  const { spans, text } = ctx.source;
  if (spans !== undefined) {
    const span = spanAtPath(spans, path);
    return span ? text.slice(span.start, span.end).trim() : "";
  }
  const node = ctx.source.doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  const range = node?.range;
  return range ? ctx.source.text.slice(range[0], range[1]).trim() : "";
}
