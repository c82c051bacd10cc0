import type { BigIntStats } from "node:fs";
import { cacheFilePath, readChecksummed, writeChecksummed } from "./cache-file.js";
import type { ChainPoint } from "./chain.js";

const VERSION = 1;

/**
 * A chain checkpoint: "the manifest file with exactly this inode, size, mtime and ctime had a verified chain of
 * `lines` lines ending at byte `end`". Any change to the file (an edit, a `git pull`, a writer of another tool)
 * changes its ctime, which no ordinary tool can set back, so the checkpoint no longer matches and the chain is
 * verified again in full. It saves a writer re-hashing a large manifest before each append; it is not a source of
 * truth, and a missing or damaged checkpoint only costs that full verification.
 */
export interface Checkpoint extends ChainPoint {
  /** Bytes of the verified complete lines. */
  end: number;
  file: FileIdentity;
}

/** What identifies one state of a file's bytes, as `fstat` tells it (nanosecond times as decimal strings). */
export interface FileIdentity {
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

/** Where the checkpoint of a manifest lives: `.bake-cache/<name>.chain.json` beside it. */
export function checkpointPath(manifestPath: string): string {
  return cacheFilePath(manifestPath, "chain");
}

/** The identity of a file's current bytes. */
export function fileIdentity(stat: BigIntStats): FileIdentity {
  return {
    dev: stat.dev.toString(),
    ino: stat.ino.toString(),
    size: stat.size.toString(),
    mtimeNs: stat.mtimeNs.toString(),
    ctimeNs: stat.ctimeNs.toString(),
  };
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

/** The manifest's checkpoint, or undefined when there is none or it is damaged or of another version. */
export function readCheckpoint(manifestPath: string): Checkpoint | undefined {
  const body = readChecksummed(checkpointPath(manifestPath));
  if (body === undefined) return undefined;
  try {
    const doc = JSON.parse(body) as { checkpoint?: unknown; version?: unknown } & Checkpoint;
    if (doc.checkpoint !== "bake-chain" || doc.version !== VERSION) return undefined;
    if (typeof doc.end !== "number" || typeof doc.lines !== "number" || typeof doc.lastLineHash !== "string")
      return undefined;
    const file = doc.file;
    if (typeof file !== "object" || file === null) return undefined;
    return { end: doc.end, lines: doc.lines, lastLineHash: doc.lastLineHash, file };
  } catch {
    return undefined;
  }
}

/** Records a checkpoint, best effort (a directory that cannot be written only means full verifications). */
export function writeCheckpoint(manifestPath: string, checkpoint: Checkpoint): void {
  writeChecksummed(
    checkpointPath(manifestPath),
    JSON.stringify({ checkpoint: "bake-chain", version: VERSION, ...checkpoint }),
  );
}
