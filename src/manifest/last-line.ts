import { type ChainBreak, ChainVerifier } from "./chain.js";
import { checkpointAfterAppend, type FileChainCheck, verifyFileChain } from "./file-chain.js";
import { readRange, readTail, type Tail } from "./tail.js";

/**
 * Whether the text after a manifest's last newline is a whole line that only lacks its newline (an editor or a
 * merge dropped it) rather than a torn one. A write cut short leaves a proper prefix of a line, which is `{...}`,
 * and no proper prefix of a JSON object parses as one: text that does is a whole line, read and judged like any
 * other (its id, its place in the chain), never moved aside. Anything else is torn.
 */
export function isWholeLine(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** The last line of an open manifest file when it is whole but lacks its newline (see {@link isWholeLine}). */
export function unterminatedLine(fd: number, tail: Tail, size: number): Buffer | undefined {
  // The header is never judged so: a file without one complete line is refused as it always was.
  if (tail.completeEnd === 0 || tail.tornBytes === 0) return undefined;
  const bytes = readRange(fd, tail.completeEnd, size);
  return isWholeLine(bytes.toString("utf8")) ? bytes : undefined;
}

/** {@link verifyFileChain} of the complete lines `[0, end)`, then of `last`, a line after them without its newline. */
export function verifyWithLastLine(path: string, fd: number, end: number, last?: Buffer): FileChainCheck {
  const check = verifyFileChain(path, fd, end);
  if (check.problem || !last) return check;
  const verifier = new ChainVerifier(check);
  verifier.push(last);
  const problem = verifier.finish();
  return { ...verifier.point, ...(problem ? { problem } : {}), via: check.via };
}

/** Options for {@link completeLastLine}. */
export interface CompleteOptions {
  path: string;
  /** The manifest, open for writing, under its lock. */
  fd: number;
  size: number;
  /**
   * Writes all of `buffer` at `position` and syncs it (the writer's own, so a failed write is handled as the writer's
   * are).
   */
  write: (fd: number, buffer: Buffer, position: number) => void;
}

/**
 * Before a write, under the lock: a whole last line that lacks its newline gets it (fsync'd), once the chain, that
 * line included, holds; the line is then as if bake had written it. Returns the file's size after, or the chain's
 * first break (and then writes nothing).
 */
export function completeLastLine(options: CompleteOptions): { size: number; problem?: ChainBreak } {
  const { path, fd, size } = options;
  const tail = readTail(fd, size);
  const last = unterminatedLine(fd, tail, size);
  if (!last) return { size };
  const chain = verifyWithLastLine(path, fd, tail.completeEnd, last);
  if (chain.problem) return { size, problem: chain.problem };
  options.write(fd, Buffer.from("\n"), size);
  // As after any append by this process: the writer's own verification that follows costs a stat.
  checkpointAfterAppend(path, fd, { end: size + 1, lines: chain.lines, lastLineHash: chain.lastLineHash });
  return { size: size + 1 };
}
