import { readSync } from "node:fs";

const NEWLINE = 0x0a;
const MAX_CHUNK = 4 << 20;

/** The bytes `[start, end)` of an open file. */
export function readRange(fd: number, start: number, end: number): Buffer {
  const buffer = Buffer.allocUnsafe(end - start);
  let done = 0;
  while (done < buffer.length) {
    const n = readSync(fd, buffer, done, buffer.length - done, start + done);
    if (n === 0) break;
    done += n;
  }
  return done === buffer.length ? buffer : buffer.subarray(0, done);
}

/** The offset of the last newline before `end`, or -1. Reads backwards in chunks, so it is cheap on big files. */
export function lastNewlineBefore(fd: number, end: number): number {
  let chunkEnd = end;
  while (chunkEnd > 0) {
    const start = Math.max(0, chunkEnd - 64 * 1024);
    const at = readRange(fd, start, chunkEnd).lastIndexOf(NEWLINE);
    if (at >= 0) return start + at;
    chunkEnd = start;
  }
  return -1;
}

/** What the end of the file looks like: the last complete line, and any bytes after it (a torn write). */
export interface Tail {
  /** Bytes of complete lines: everything up to and including the last newline. */
  completeEnd: number;
  /** The last complete line, without its newline (empty when the file has none). */
  lastLine: Buffer;
  /** Bytes after the last newline: a line a killed process did not finish, or a whole one whose newline was lost (last-line.ts). */
  tornBytes: number;
}

export function readTail(fd: number, size: number): Tail {
  const lastNewline = lastNewlineBefore(fd, size);
  const completeEnd = lastNewline + 1;
  if (lastNewline < 0) return { completeEnd: 0, lastLine: Buffer.alloc(0), tornBytes: size };
  const lineStart = lastNewlineBefore(fd, lastNewline) + 1;
  return { completeEnd, lastLine: readRange(fd, lineStart, lastNewline), tornBytes: size - completeEnd };
}

/**
 * Visits complete lines from the end of `[0, end)` backwards until `visit` returns true, without reading the whole
 * file when the answer is near the end (the usual case: the last build of a lineage, a recent parent).
 */
export function scanBackward(fd: number, end: number, visit: (line: string) => boolean): boolean {
  let chunkEnd = end;
  let carry: Buffer = Buffer.alloc(0);
  // Small first reads (the answer is usually in the last few lines), growing on big files.
  let chunk = 64 * 1024;
  while (chunkEnd > 0) {
    const start = Math.max(0, chunkEnd - chunk);
    chunk = Math.min(chunk * 2, MAX_CHUNK);
    const block = Buffer.concat([readRange(fd, start, chunkEnd), carry]);
    let lineEnd = block.length;
    // Drop the newline that ends the region.
    if (lineEnd > 0 && block[lineEnd - 1] === NEWLINE && carry.length === 0) lineEnd -= 1;
    while (lineEnd > 0) {
      const at = block.lastIndexOf(NEWLINE, lineEnd - 1);
      if (at < 0) break;
      if (visit(block.toString("utf8", at + 1, lineEnd))) return true;
      lineEnd = at;
    }
    carry = block.subarray(0, lineEnd);
    chunkEnd = start;
  }
  return carry.length > 0 ? visit(carry.toString("utf8")) : false;
}
