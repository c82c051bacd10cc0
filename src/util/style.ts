import type { TextOut } from "./text-out.js";

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const identity = (text: string) => text;

/** Colour only on a TTY, and never when NO_COLOR is set (https://no-color.org) or `--no-color` was given. */
export function styleFor(
  out: TextOut,
  env: Readonly<Record<string, string | undefined>>,
  noColor = false,
): Style {
  const enabled = Boolean(out.isTTY) && !noColor && (env.NO_COLOR ?? "") === "" && env.TERM !== "dumb";
  if (!enabled)
    return {
      bold: identity,
      dim: identity,
      red: identity,
      green: identity,
      yellow: identity,
      cyan: identity,
    };
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}
