import { createHash } from "node:crypto";
import { BakeError } from "../errors.js";
import { readFile } from "../util/fs-async.js";

/**
 * Reads a file a copy step carries and checks that it is still the one the plan hashed, so a file edited between
 * planning and building never reaches an image under the plan's digest.
 *
 * @param from - the file on the machine running bake.
 * @param options.digest - the `sha256:` digest the plan recorded; nothing is checked without one.
 * @param options.hint - what the user should do when it changed (run the build again, emit the templates again).
 * @returns the content and its `sha256:` digest.
 * @throws BakeError `copy-changed` when the content no longer matches.
 */
export async function readPlannedFile(
  from: string,
  options: { digest?: string; hint: string },
): Promise<{ content: Buffer; digest: string }> {
  const content = await readFile(from);
  const digest = `sha256:${createHash("sha256").update(content).digest("hex")}`;
  if (options.digest !== undefined && digest !== options.digest) {
    throw new BakeError({
      code: "copy-changed",
      message: `${from} changed after the plan was made`,
      hint: options.hint,
    });
  }
  return { content, digest };
}
