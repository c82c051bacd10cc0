import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { BakeError } from "../errors.js";
import { digest } from "../util/digest.js";
import { makeDirectories } from "../util/make-directories.js";
import type { ChainBreak } from "./chain.js";
import { checkpointAfterAppend, verifyFileChain } from "./file-chain.js";
import { headerLine } from "./format.js";
import { completeLastLine } from "./last-line.js";
import { withLock } from "./lock.js";
import { readRange, readTail } from "./tail.js";
import { writeFailure } from "./write-failure.js";

/** What a writer sees once it holds the lock: the file, where complete lines end, and the hash to chain on. */
export interface WriteContext {
  fd: number;
  /** Bytes of complete lines (after any torn tail was moved aside). */
  end: number;
  /** Digest of the last line: the `prev` of the line being written. */
  prev: string;
}

/** A torn tail found and moved aside before writing. */
export interface TornRepair {
  /** Where the torn bytes went. */
  file: string;
  bytes: number;
}

/** Options for {@link appendLine}. */
export interface AppendOptions {
  lockTimeoutMs?: number;
  /** Header fields, if the file has to be created. */
  createdAt: string;
  bakeVersion: string;
}

/**
 * Appends one line under the manifest lock, as a single write of the whole line followed by fsync.
 * `compose` sees the locked file and returns the line (without its newline) plus a value to hand back.
 *
 * A torn last line (a writer killed mid-write) is never dropped silently and never kept under good records:
 * its bytes are appended to `<manifest>.torn` (fsync'd) before the manifest is cut back to its last newline.
 * A whole last line that only lacks its newline is not torn: it gets its newline (see `completeLastLine`).
 */
export async function appendLine<T>(
  path: string,
  options: AppendOptions,
  compose: (context: WriteContext) => { line: string; value: T },
): Promise<{ value: T; repaired?: TornRepair; end: number }> {
  return writeLocked(path, options, () => {
    createIfMissing(path, options);
    const fd = openSync(path, "r+");
    try {
      let size = fstatSync(fd).size;
      if (size === 0) {
        // An empty file (created by hand, say) gets its header first.
        const header = Buffer.from(`${headerLine(options)}\n`);
        writeDurably(fd, header, 0);
        size = header.length;
      }
      // A whole last line whose newline was lost (an editor, a merge) gets it back; it is no torn write.
      const settled = completeLastLine({ path, fd, size, write: writeDurably });
      if (settled.problem) throw chainBrokenError(path, settled.problem);
      const tail = readTail(fd, settled.size);
      if (tail.completeEnd === 0) {
        throw new BakeError({
          code: "manifest-invalid",
          message: `${path} has no complete header line; bake will not write to it`,
          hint: "move the file aside or point --manifest somewhere else",
        });
      }
      const repaired = tail.tornBytes > 0 ? moveTornAside(path, fd, tail.completeEnd, size) : undefined;
      // Everything this write builds on (the tail's hash, build numbers, the statuses events are checked against)
      // comes from lines already there; none of it is trusted until their chain is.
      const chain = verifyFileChain(path, fd, tail.completeEnd);
      if (chain.problem) throw chainBrokenError(path, chain.problem);
      const { line, value } = compose({ fd, end: tail.completeEnd, prev: digest(tail.lastLine) });
      writeDurably(fd, Buffer.from(`${line}\n`, "utf8"), tail.completeEnd);
      const end = tail.completeEnd + Buffer.byteLength(line) + 1;
      checkpointAfterAppend(path, fd, { end, lines: chain.lines + 1, lastLineHash: digest(line) });
      return repaired ? { value, repaired, end } : { value, end };
    } finally {
      closeSync(fd);
    }
  });
}

/** The error a writer throws when the lines it would build on are not the ones bake wrote. */
export function chainBrokenError(path: string, problem: ChainBreak): BakeError {
  return new BakeError({
    code: "manifest-chain-broken",
    message: `${path}: ${problem.message}; bake will not write to a manifest whose chain is broken`,
    hint: `run \`bake fsck\` to see every problem, then restore line ${problem.line} as bake wrote it, from git (\`git diff -- ${path}\` shows the change) or a backup; bake never repairs a manifest itself`,
  });
}

/** Creates the manifest with its header, under the lock, if it does not exist. */
export async function createManifestFile(path: string, options: AppendOptions): Promise<void> {
  if (!existsSync(path)) await writeLocked(path, options, () => createIfMissing(path, options));
}

/**
 * Runs a write to the manifest file at `path` under its lock (creating its directory first); a failure the user can
 * fix (no write access, a full disk) becomes a BakeError saying so.
 */
export async function writeLocked<T>(
  path: string,
  options: { lockTimeoutMs?: number },
  fn: () => T,
): Promise<T> {
  try {
    makeDirectories(dirname(path));
  } catch (error) {
    throw new BakeError({
      code: "directory-uncreatable",
      message: `cannot create ${dirname(path)}, the directory of the manifest ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      hint: "point --manifest or BAKE_MANIFEST at a path in a directory bake can create and write to",
    });
  }
  try {
    return await withLock(path, { timeoutMs: options.lockTimeoutMs }, fn);
  } catch (error) {
    throw writeFailure(error, path);
  }
}

// Written aside, then linked in, so no reader sees half a header. Only under the lock: the link briefly gives the
// file a second name, which a writer checking for hard links must not see.
function createIfMissing(path: string, options: AppendOptions): boolean {
  if (existsSync(path)) return false;
  const temp = `${path}.new-${process.pid}`;
  try {
    writeFileSync(temp, `${headerLine(options)}\n`, { flush: true });
    linkSync(temp, path);
    syncDirectory(dirname(path));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

function moveTornAside(path: string, fd: number, completeEnd: number, size: number): TornRepair {
  const torn = readRange(fd, completeEnd, size);
  const file = `${path}.torn`;
  appendFileSync(file, Buffer.concat([torn, Buffer.from("\n")]), { flush: true });
  ftruncateSync(fd, completeEnd);
  fsyncSync(fd);
  return { file, bytes: torn.length };
}

/**
 * Writes `buffer` at `position` (the end of the file's complete lines) and fsyncs it; if either fails part-way (a
 * full disk, say), cuts the file back to `position`, so the file holds exactly what it held before.
 */
export function writeDurably(fd: number, buffer: Buffer, position: number): void {
  try {
    let done = 0;
    while (done < buffer.length) done += writeSync(fd, buffer, done, buffer.length - done, position + done);
    fsyncSync(fd);
  } catch (error) {
    try {
      ftruncateSync(fd, position);
      fsyncSync(fd);
    } catch {
      // Then the bytes stay as a torn tail (or a whole line never acknowledged), which the next writer handles.
    }
    throw error;
  }
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the file itself is already durable.
  }
}
