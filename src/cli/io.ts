import type { TextOut } from "../util/text-out.js";

/** What a command may touch of the outside world; tests inject their own. */
export interface CommandIO {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  stdout: TextOut;
  stderr: TextOut;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** Parsed command-line values, as `node:util` parseArgs returns them. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The values of a repeatable string option (`--var A=1 --var B=2`), in order; none when it is absent. */
export function optionStrings(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === "string");
}

/** What a command module exports: one function from parsed arguments to an exit code. */
export type CommandRun = (
  args: { positionals: string[]; values: OptionValues },
  io: CommandIO,
) => Promise<number>;
