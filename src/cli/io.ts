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

/** What a command module exports: one function from parsed arguments to an exit code. */
export type CommandRun = (
  args: { positionals: string[]; values: OptionValues },
  io: CommandIO,
) => Promise<number>;
