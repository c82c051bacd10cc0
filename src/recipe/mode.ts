import type { BakeErrorCode } from "../errors.js";
import type { WrittenMode } from "./written.js";

/** The largest permission mode: setuid, setgid, sticky and rwx for all. */
export const MAX_MODE = 0o7777;

/** A mode as bake reads it, or why it cannot. */
export type ModeReading =
  | { mode: number; problem?: undefined }
  | { mode?: undefined; problem: { code: BakeErrorCode; message: string; hint: string } };

/**
 * Reads a written `mode:`. A string is octal (`"0755"`, `"4755"`). A number written with a leading 0 (`0755`,
 * `04755`) is octal too: YAML 1.2 reads it as the decimal 755, so the digits are taken from `written`, the scalar's
 * source text; one with an 8 or 9 in it is refused rather than guessed at. Any other number (`493`, `0o755`) is
 * its value. Every mode is from 0 to 07777. One function, so validate and normalize agree.
 * @param written - the scalar as written in the recipe, or "" when unknown (a recipe given as an object).
 */
export function readMode(value: WrittenMode, written: string): ModeReading {
  if (typeof value === "string") {
    if (!/^0?[0-7]{3,4}$/.test(value)) {
      return problem(
        "bad-format",
        `mode "${value}" is not an octal mode`,
        'write 3 or 4 octal digits, such as "0755"',
      );
    }
    return { mode: Number.parseInt(value, 8) };
  }
  if (/^0\d+$/.test(written)) {
    if (/[89]/.test(written)) {
      return problem(
        "bad-value",
        `mode ${written} starts with 0, which makes it octal, but 8 and 9 are not octal digits`,
        'octal digits are 0 to 7: quote the mode as octal permission bits, such as "0755" or "0644"',
      );
    }
    const mode = Number.parseInt(written, 8);
    if (mode > MAX_MODE) {
      return problem(
        "out-of-range",
        `mode ${written} is out of range: a mode is at most 07777`,
        'write 3 or 4 octal digits, such as "0755" or "04755"',
      );
    }
    return { mode };
  }
  if (!Number.isInteger(value) || value < 0 || value > MAX_MODE) {
    const shown = written || String(value);
    // `4755` without its leading 0 is the decimal 4755, beyond 07777; it was most likely meant as octal.
    const octal = /^[0-7]{3,4}$/.test(shown) ? ` for octal permissions, write "0${shown}"` : "";
    return problem(
      "out-of-range",
      `mode ${shown} is out of range: a mode is from 0 to 07777 (4095)`,
      octal
        ? `a number without a leading 0 is decimal;${octal}`
        : 'write it as an octal string, such as "0755"',
    );
  }
  return { mode: value };
}

function problem(code: BakeErrorCode, message: string, hint: string): ModeReading {
  return { problem: { code, message, hint } };
}
