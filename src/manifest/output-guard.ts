import { closeSync, constants, fstatSync, openSync, readSync, statSync } from "node:fs";
import { BakeError } from "../errors.js";

// How every manifest begins: its header line (format.ts writes `{"bake":"manifest",...}`; a header edited by
// hand may have spaces).
const HEADER_START = /^\s*\{\s*"bake"\s*:\s*"manifest"/;

/**
 * Whether `file` (or what it links to) is a bake lineage manifest: a regular file that begins with a manifest
 * header. Opened without blocking, so a FIFO named as an output is not waited on.
 */
export function isManifestFile(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return false;
  }
  try {
    if (!fstatSync(fd).isFile()) return false;
    const head = Buffer.alloc(64);
    const read = readSync(fd, head, 0, head.length, 0);
    return HEADER_START.test(head.toString("utf8", 0, read));
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks a file an option names for output, before any work is done (exit 2 otherwise): not a lineage manifest
 * (`bake export -o`, `bake sbom -o` and `--junit` replace their file, which for a manifest would throw away every
 * record in it), and not a directory.
 *
 * @param shown - the path as the user gave it; `option` - the option that named it, for the message.
 */
export function checkOutputFile(file: string, shown: string, option: string): void {
  if (isManifestFile(file)) {
    throw new BakeError({
      code: "output-is-manifest",
      message: `${shown} is a bake lineage manifest: ${option} would replace it, and every record in it would be lost`,
      hint: `give ${option} another file name`,
    });
  }
  let directory = false;
  try {
    directory = statSync(file).isDirectory();
  } catch {
    // Missing (it will be made) or unreachable (writing it says why).
  }
  if (directory) {
    throw new BakeError({
      code: "output-unwritable",
      message: `${shown} is a directory: ${option} names the file to write`,
      hint: `give ${option} a file path, such as ${shown.replace(/\/?$/, "/")}out`,
    });
  }
}

/** The error for an output file that could not be written (`error` is what the write threw). */
export function outputUnwritable(shown: string, option: string, error: unknown): BakeError {
  const code = (error as NodeJS.ErrnoException).code;
  return new BakeError({
    code: "output-unwritable",
    message: `cannot write ${shown}: ${code ?? (error as Error).message}`,
    hint: `give ${option} a file in a directory that exists and bake can write to`,
  });
}
