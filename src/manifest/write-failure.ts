import { closeSync, openSync } from "node:fs";
import { BakeError } from "../errors.js";

const NOT_WRITABLE = new Set(["EACCES", "EPERM", "EROFS"]);
const DISK_FULL = new Set(["ENOSPC", "EDQUOT"]);

/**
 * What a failed write to (or beside) a manifest means to the user: a BakeError when the system refused it for a
 * reason they can fix (no write access, a read-only or immutable file, a full disk or quota), else `error` itself.
 */
export function writeFailure(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? "";
  if (DISK_FULL.has(code)) {
    return new BakeError({
      code: "manifest-disk-full",
      message: `cannot write ${path}: the disk is full (${code}); nothing was written to the manifest`,
      hint: "free some space (or raise the quota) on the manifest's filesystem, then run the command again",
      cause: error,
    });
  }
  if (NOT_WRITABLE.has(code)) {
    return new BakeError({
      code: "manifest-not-writable",
      message: `bake needs write access to ${path}, and the system refused it (${code}); nothing was written`,
      hint: "run bake as a user who may write the file and its directory, or make the file writable (`chmod u+w`, or `chattr -i` if it is immutable; a read-only filesystem must be remounted read-write)",
      cause: error,
    });
  }
  return error;
}

/**
 * Fails early, with {@link writeFailure}'s error, when the manifest file exists but cannot be opened for writing.
 * Opening changes nothing (no byte, no time), so it cannot disturb another writer; the write itself checks again.
 */
export function checkWritable(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, "r+");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw writeFailure(error, path);
  }
  closeSync(fd);
}
