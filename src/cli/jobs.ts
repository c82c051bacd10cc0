import { BakeError } from "../errors.js";
import { printable } from "../util/printable.js";
import type { CommandIO, OptionValues } from "./io.js";

/**
 * The job count `--jobs` (else `BAKE_JOBS`) asks for, or undefined when neither is set. Checked for every build,
 * one recipe or a tree, so a bad value is refused (exit 2) wherever it is given, not only where it is used.
 */
export function requestedJobs(values: OptionValues, io: Pick<CommandIO, "env">): number | undefined {
  const given = typeof values.jobs === "string" ? values.jobs : io.env.BAKE_JOBS;
  if (given === undefined || given === "") return undefined;
  const count = Number(given);
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    throw new BakeError({
      code: "usage",
      message: `--jobs must be a whole number from 1 to 64, not "${printable(given)}"`,
      hint: "for example: --jobs 4 (or set BAKE_JOBS)",
    });
  }
  return count;
}
