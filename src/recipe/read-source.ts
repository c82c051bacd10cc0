import { constants } from "node:fs";
import { fileKind } from "../util/file-kind.js";
import { closeFile, openFile, readInto, statFile } from "../util/fs-async.js";

/** Why a recipe or var file could not be read, written for the user (`shown` is the path as they gave it). */
export interface ReadProblem {
  /** `missing`, `directory`, `not-regular`, `too-large` or `unreadable`. */
  reason: "missing" | "directory" | "not-regular" | "too-large" | "unreadable";
  message: string;
  /** For `too-large`: the size found, in bytes. */
  size?: number;
}

// Reads happen in chunks so an abort is noticed between them and a huge file never fills memory.
const CHUNK = 64 * 1024;

/**
 * Read a recipe or var file of at most `limit` bytes. Only a regular file is read: the file is opened without
 * blocking (a FIFO would otherwise wait forever for a writer), checked with fstat, and its size compared with
 * `limit` before any byte is read.
 *
 * @param options.shown - the path as the user wrote it, for messages.
 * @param options.limit - the largest size accepted, in bytes.
 * @param options.signal - aborts the read between chunks (throws the signal's reason).
 */
export async function readSourceFile(
  path: string,
  options: { shown: string; limit: number; signal?: AbortSignal },
): Promise<{ bytes: Buffer } | { problem: ReadProblem }> {
  const { shown, limit, signal } = options;
  signal?.throwIfAborted();
  let fd: number;
  try {
    fd = await openFile(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    return { problem: openProblem(shown, (error as NodeJS.ErrnoException).code) };
  }
  try {
    const info = await statFile(fd);
    if (info.isDirectory()) return { problem: { reason: "directory", message: `${shown} is a directory` } };
    if (!info.isFile()) {
      return {
        problem: { reason: "not-regular", message: `${shown} is ${fileKind(info)}, not a regular file` },
      };
    }
    if (info.size > limit) return { problem: tooLarge(shown, limit, info.size) };
    // The size can change while reading (a file still being written): read one byte past the limit to notice.
    const buffer = Buffer.alloc(Math.min(limit + 1, Math.max(info.size + 1, 1)));
    let filled = 0;
    for (;;) {
      signal?.throwIfAborted();
      if (filled === buffer.length) {
        if (filled > limit) return { problem: tooLarge(shown, limit, filled) };
        break;
      }
      const { bytesRead } = await readInto(fd, buffer, filled, Math.min(CHUNK, buffer.length - filled), null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { bytes: buffer.subarray(0, filled) };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    return { problem: { reason: "unreadable", message: `cannot read ${shown} (${code})` } };
  } finally {
    await closeFile(fd);
  }
}

function openProblem(shown: string, code: string | undefined): ReadProblem {
  if (code === "ENOENT") return { reason: "missing", message: `${shown} does not exist` };
  if (code === "EISDIR") return { reason: "directory", message: `${shown} is a directory` };
  return { reason: "unreadable", message: `cannot read ${shown} (${code ?? "unknown error"})` };
}

function tooLarge(shown: string, limit: number, size: number): ReadProblem {
  const over = size > limit + 1 ? `: ${size} bytes` : "";
  return { reason: "too-large", message: `${shown} is more than ${limit} bytes (the limit)${over}`, size };
}
