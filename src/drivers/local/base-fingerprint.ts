import { createHash } from "node:crypto";
import { lstatSync, readdirSync, statSync } from "node:fs";

/**
 * How close to the moment a fingerprint was taken a timestamp must be for the stat walk to prove nothing: an edit in
 * the same clock tick as the walk (file times come from a coarse clock, 1 s on some file systems, 2 s on FAT) can
 * leave every stat field as it was. Like git's racy-clean rule, such an entry is checked by content instead.
 */
export const RACY_WINDOW_NS = 2_000_000_000n;

/** A cheap summary of a file or a directory tree, from stat alone. */
export interface BaseFingerprint {
  /** sha256 of every entry's relative path, type and mode, size, mtime, ctime, inode, owner and link count. */
  digest: string;
  /** The newest mtime or ctime in the tree, in nanoseconds. */
  newestNs: bigint;
}

/** What a fingerprint remembered with an import says about the base now. */
export type FingerprintVerdict = "unchanged" | "changed" | "racy";

/** A remembered import: the image, the fingerprint of its source and when that fingerprint was taken. */
export interface RememberedImport {
  id: string;
  digest: string;
  /** Wall-clock nanoseconds just before the walk started. */
  takenNs: string;
}

/**
 * Fingerprints `path` by walking it with lstat: no file is opened. A content edit changes the mtime and ctime,
 * and ctime cannot be set back (`touch -d`, `utimes` and `cp -p` all move it forward), so an edit that keeps the size
 * and restores the mtime is still seen. What stat cannot see is an edit within the same timestamp tick as the walk;
 * {@link judge} sends those to a content check.
 */
export function fingerprint(path: string): BaseFingerprint {
  // One line per entry, hashed at the end: one hash call instead of one per entry (the digest is the same).
  const lines: string[] = [];
  let newestNs = 0n;
  // Synchronous on purpose: one lstat is a few microseconds, and a trip through the thread pool per entry costs
  // more than the call (a root file system has thousands). Nothing else needs the event loop meanwhile.
  const visit = (absolute: string, relative: string): void => {
    // The base itself may be a symlink (`dir:./rootfs` -> a versioned tree): follow it, as the import does. Inside
    // the tree a symlink is content, and its own stat is what counts.
    const info =
      relative === "." ? statSync(absolute, { bigint: true }) : lstatSync(absolute, { bigint: true });
    // bigint nanoseconds: Math.max() takes numbers only.
    if (info.mtimeNs > newestNs) newestNs = info.mtimeNs;
    if (info.ctimeNs > newestNs) newestNs = info.ctimeNs;
    lines.push(
      `${relative}\0${info.mode}\0${info.size}\0${info.mtimeNs}\0${info.ctimeNs}\0${info.ino}\0${info.uid}:${info.gid}\0${info.nlink}\n`,
    );
    if (!info.isDirectory()) return;
    // Sorted, so the digest does not depend on the order the file system lists entries in. A name holds no "/", and
    // `absolute` is already normal: plain concatenation is the path (path.join would normalize it again).
    const names = readdirSync(absolute).sort();
    for (const name of names) visit(`${absolute}/${name}`, `${relative}/${name}`);
  };
  visit(path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path, ".");
  return { digest: `sha256:${createHash("sha256").update(lines.join("")).digest("hex")}`, newestNs };
}

/** Wall-clock time in nanoseconds, to stamp a fingerprint taken right after. */
export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/**
 * Whether a base still matches the import remembered for it. `racy` when the digests match but some timestamp is
 * in the future, or within {@link RACY_WINDOW_NS} of when the remembered fingerprint was taken: the caller then checks
 * the content (imports again, which yields the same image when nothing changed).
 */
export function judge(
  remembered: RememberedImport,
  current: BaseFingerprint,
  now: bigint = nowNs(),
): FingerprintVerdict {
  if (remembered.digest !== current.digest) return "changed";
  const taken = BigInt(remembered.takenNs);
  if (current.newestNs > now || current.newestNs >= taken - RACY_WINDOW_NS) return "racy";
  return "unchanged";
}

/** Reads a remembered import from the store's memo value, or undefined when it is missing or in an older form. */
export function parseRemembered(value: string | undefined): RememberedImport | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<RememberedImport>;
    if (
      typeof parsed.id === "string" &&
      typeof parsed.digest === "string" &&
      typeof parsed.takenNs === "string" &&
      /^\d+$/.test(parsed.takenNs)
    ) {
      return { id: parsed.id, digest: parsed.digest, takenNs: parsed.takenNs };
    }
  } catch {
    // An older memo (a bare image id) or a damaged one: import again.
  }
  return undefined;
}
