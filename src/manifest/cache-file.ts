import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { digest } from "../util/digest.js";
import { makeDirectories } from "../util/make-directories.js";

/**
 * Where a derived file about a manifest lives: `.bake-cache/<manifest name>.<kind>.json` beside it. Nothing there is
 * a source of truth; deleting the directory only costs time.
 */
export function cacheFilePath(manifestPath: string, kind: string): string {
  return join(dirname(manifestPath), ".bake-cache", `${basename(manifestPath)}.${kind}.json`);
}

/** The body of a cache file whose first line (the sha256 of the rest) still matches, else undefined. */
export function readChecksummed(path: string): string | undefined {
  try {
    const bytes = readFileSync(path);
    const newline = bytes.indexOf(0x0a);
    if (newline < 0 || bytes.toString("latin1", 0, newline) !== digest(bytes.subarray(newline + 1))) {
      return undefined;
    }
    return bytes.toString("utf8", newline + 1);
  } catch {
    return undefined;
  }
}

/**
 * Writes a cache file with its checksum line, atomically (a temporary file renamed over the old one) and best effort:
 * a read-only directory is no error.
 */
export function writeChecksummed(path: string, body: string): void {
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    const dir = dirname(path);
    makeDirectories(dir);
    // Keeps the cache out of git without touching the project's own .gitignore.
    writeFileSync(join(dir, ".gitignore"), "*\n", { flag: "wx" });
  } catch {
    // Already there, or the directory cannot be written; the next step finds out which.
  }
  try {
    writeFileSync(temp, `${digest(body)}\n${body}`);
    renameSync(temp, path);
  } catch {
    try {
      rmSync(temp, { force: true });
    } catch {
      // Nothing was written, or it cannot be removed either; a stray temporary file is harmless.
    }
  }
}
