import type { BakeErrorCode } from "../errors.js";

/**
 * The largest uid or gid bake accepts: 2^32 - 2. Linux ids are 32-bit, and 2^32 - 1 is `(uid_t)-1`, which
 * `chown` and `setuid` read as "leave unchanged".
 */
export const MAX_ID = 4_294_967_294;

/** What a uid or gid problem looks like, for a diagnostic or a BakeError. */
export interface IdProblem {
  code: BakeErrorCode;
  message: string;
  hint: string;
}

/**
 * A uid or gid written in decimal digits, or undefined when the text is not one the kernel can hold (not all
 * digits, or above {@link MAX_ID}): a larger number would wrap around, 2^32 to root.
 */
export function parseId(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const id = Number(text);
  return id <= MAX_ID ? id : undefined;
}

/** Whether `text` is written as a number (all digits), so it is a uid or gid rather than a name. */
export function isNumericId(text: string): boolean {
  return /^\d+$/.test(text);
}

/**
 * Checks the numeric parts of a `user`, `user:group`, `uid` or `uid:gid` value (a step's or check's `user:`, a
 * copy's or file's `owner:`, the image config's `user`): each must be a uid or gid from 0 to {@link MAX_ID}.
 * Names are left to the image's /etc/passwd and /etc/group. One function, so validate, plan and build agree.
 * @returns the problem, or undefined when the value is fine.
 */
export function idSpecProblem(spec: string, options: { field: string }): IdProblem | undefined {
  const at = spec.indexOf(":");
  const parts: [kind: "uid" | "gid", text: string][] =
    at < 0
      ? [["uid", spec]]
      : [
          ["uid", spec.slice(0, at)],
          ["gid", spec.slice(at + 1)],
        ];
  for (const [kind, text] of parts) {
    if (!isNumericId(text) || parseId(text) !== undefined) continue;
    return idRangeProblem({ kind, text, where: `${options.field} "${spec}"` });
  }
  return undefined;
}

/**
 * The problem with a numeric uid or gid beyond {@link MAX_ID}; `where` says where it was found (`user "…"`, or the
 * image's /etc/passwd entry for a user).
 */
export function idRangeProblem(options: { kind: "uid" | "gid"; text: string; where: string }): IdProblem {
  const { kind, text, where } = options;
  const shown = text.length > 24 ? `${text.slice(0, 12)}…${text.slice(-6)}` : text;
  return {
    code: "out-of-range",
    message: `${kind} ${shown} in ${where} is out of range: a ${kind} is a whole number from 0 to ${MAX_ID}`,
    hint:
      text === String(MAX_ID + 1)
        ? `${MAX_ID + 1} is (${kind}_t)-1, which the kernel reads as "no change"; use a ${kind} from 0 to ${MAX_ID}`
        : `the kernel holds ${kind}s in 32 bits, so a larger one would wrap around (${2 ** 32} becomes 0, root); use a ${kind} from 0 to ${MAX_ID}`,
  };
}
