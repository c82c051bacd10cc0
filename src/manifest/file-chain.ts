import { fstatSync } from "node:fs";
import { digest } from "../util/digest.js";
import { type ChainBreak, ChainVerifier } from "./chain.js";
import {
  type Checkpoint,
  fileIdentity,
  readCheckpoint,
  sameIdentity,
  writeCheckpoint,
} from "./checkpoint.js";
import { lastNewlineBefore, readRange } from "./tail.js";

/** The outcome of verifying a manifest file's chain. */
export interface FileChainCheck {
  /** The first break, if the chain does not hold. */
  problem?: ChainBreak;
  /** Lines verified (header included), when the chain holds. */
  lines: number;
  /** Digest of the last complete line. */
  lastLineHash: string;
  /** `checkpoint` when the file is unchanged since its chain was last verified, `scan` when it was read again. */
  via: "checkpoint" | "scan";
}

const CHUNK = 4 << 20;

/**
 * Verifies the chain of the complete lines `[0, end)` of an open manifest file. When the file is exactly as it was
 * when its chain was last verified (see {@link Checkpoint}) this costs a stat and one line; otherwise every line is
 * re-hashed, and a chain that holds is checkpointed for next time (only if the file did not change meanwhile).
 */
export function verifyFileChain(path: string, fd: number, end: number): FileChainCheck {
  const before = fileIdentity(fstatSync(fd, { bigint: true }));
  const checkpoint = readCheckpoint(path);
  if (checkpoint && checkpoint.end === end && sameIdentity(checkpoint.file, before)) {
    // The last line is re-hashed anyway: it is cheap, and catches an edit of it even within one tick of the clock.
    if (lastLineDigest(fd, end) === checkpoint.lastLineHash) {
      return { lines: checkpoint.lines, lastLineHash: checkpoint.lastLineHash, via: "checkpoint" };
    }
  }
  const verifier = new ChainVerifier();
  let carry: Buffer = Buffer.alloc(0);
  for (let offset = 0; offset < end && !verifier.problem; offset += CHUNK) {
    const block =
      carry.length > 0
        ? Buffer.concat([carry, readRange(fd, offset, Math.min(end, offset + CHUNK))])
        : readRange(fd, offset, Math.min(end, offset + CHUNK));
    let start = 0;
    for (let newline = block.indexOf(0x0a); newline >= 0; newline = block.indexOf(0x0a, start)) {
      if (verifier.push(block.subarray(start, newline))) break;
      start = newline + 1;
    }
    carry = block.subarray(start);
  }
  const problem = verifier.finish();
  const { lines, lastLineHash } = verifier.point;
  if (problem) return { problem, lines, lastLineHash, via: "scan" };
  const after = fileIdentity(fstatSync(fd, { bigint: true }));
  if (sameIdentity(before, after)) writeCheckpoint(path, { end, lines, lastLineHash, file: after });
  return { lines, lastLineHash, via: "scan" };
}

/**
 * Records that the file behind `fd` (just appended to by this process, holding the lock, on a chain it verified)
 * now ends at `end` with a chain of `lines` lines.
 */
export function checkpointAfterAppend(path: string, fd: number, point: Omit<Checkpoint, "file">): void {
  writeCheckpoint(path, { ...point, file: fileIdentity(fstatSync(fd, { bigint: true })) });
}

function lastLineDigest(fd: number, end: number): string {
  if (end <= 0) return "";
  const start = lastNewlineBefore(fd, end - 1) + 1;
  return digest(readRange(fd, start, end - 1));
}
