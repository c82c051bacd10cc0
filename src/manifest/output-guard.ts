import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
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
 * Refuses (exit 2) an output file that is a lineage manifest: `bake export -o`, `bake sbom -o` and `--junit` replace
 * their file, which for a manifest would throw away every record in it. Checked before any work is done.
 *
 * @param shown - the path as the user gave it; `option` - the option that named it, for the message.
 */
export function refuseManifestAsOutput(file: string, shown: string, option: string): void {
  if (!isManifestFile(file)) return;
  throw new BakeError({
    code: "output-is-manifest",
    message: `${shown} is a bake lineage manifest: ${option} would replace it, and every record in it would be lost`,
    hint: `give ${option} another file name`,
  });
}
