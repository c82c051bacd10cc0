import { canonicalJson } from "../util/canonical-json.js";
import { digest } from "../util/digest.js";
import { entryId } from "./hash.js";
import type { ChainBreak } from "./types.js";

export type { ChainBreak } from "./types.js";

/** Where a verified run of lines ends, so verifying can resume there. */
export interface ChainPoint {
  /** Lines verified, header included. */
  lines: number;
  /** Digest of the last verified line: the `prev` the next line must carry. */
  lastLineHash: string;
}

const PREV_KEY = Buffer.from('"prev":"');
const PREV_LENGTH = "sha256:".length + 64;

/**
 * Checks a manifest's hash chain one line at a time, in order, from the header or from a point already verified.
 * It knows lines only (not files or offsets), so every store (a file, a git branch, a database) can feed it.
 *
 * Each line must carry as `prev` the digest of the line before it; {@link ChainVerifier.finish} also re-hashes the
 * last line against its id, since no later line vouches for it. Together these mean that every line is the one bake
 * wrote, unless the whole chain after an edit was forged again: an edited, deleted, inserted or reordered line
 * breaks a link. On a break it re-hashes the line before the break, to say whether that line was edited or lines were
 * removed or reordered.
 */
export class ChainVerifier {
  private line: number;
  private previousHash: string | undefined;
  private previous: Uint8Array | undefined;
  private broken: ChainBreak | undefined;

  constructor(from?: ChainPoint) {
    this.line = from?.lines ?? 0;
    this.previousHash = from?.lastLineHash;
  }

  /** The first break found so far. */
  get problem(): ChainBreak | undefined {
    return this.broken;
  }

  /** Where the verified lines end. */
  get point(): ChainPoint {
    return { lines: this.line, lastLineHash: this.previousHash ?? "" };
  }

  /** Feeds the next complete line (without its newline). Returns the first break, once one is found. */
  push(bytes: Uint8Array): ChainBreak | undefined {
    this.line += 1;
    if (this.broken) return this.broken;
    if (this.line > 1) {
      const prev = prevOf(bytes);
      if (prev === undefined) {
        this.broken = edited(this.line, editedReason(bytes) ?? "has no prev hash: it was edited");
      } else if (prev !== this.previousHash) {
        this.broken = this.breakBefore(bytes);
      }
    }
    this.previousHash = digest(bytes);
    this.previous = bytes;
    return this.broken;
  }

  /** Ends the run: the first break, or, when every link holds, whether the last line still hashes to its id. */
  finish(): ChainBreak | undefined {
    if (this.broken || this.line <= 1 || !this.previous) return this.broken;
    const why = editedReason(this.previous);
    if (why) this.broken = edited(this.line, why);
    return this.broken;
  }

  // The line before does not hash to this line's prev: that line was edited, or this one, or lines between them
  // were removed, added or moved.
  private breakBefore(bytes: Uint8Array): ChainBreak {
    const line = this.line;
    if (line === 2) {
      return {
        line: 1,
        code: "unlinked",
        message:
          "line 1 (the header) is not the one line 2 chains to: the header was edited, or the first record was removed or moved",
      };
    }
    const before = this.previous ? editedReason(this.previous) : undefined;
    if (before) return edited(line - 1, before);
    const own = editedReason(bytes);
    if (own) return edited(line, own);
    return {
      line,
      code: "unlinked",
      message: `line ${line} does not follow line ${line - 1}: a line before it was removed, added or moved`,
    };
  }
}

function edited(line: number, why: string): ChainBreak {
  return { line, code: "edited", message: `line ${line} ${why}` };
}

/** Why a stored line is not what bake wrote (its content does not hash to its id, or it is not canonical), if it is not. */
export function editedReason(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes).toString("utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return "is not JSON any more: it was edited";
  }
  if (typeof raw !== "object" || raw === null || typeof (raw as { id?: unknown }).id !== "string") {
    return "is neither a record nor an event: it was edited";
  }
  if (entryId(raw) !== (raw as { id: string }).id)
    return "was edited: its content no longer hashes to its id";
  if (canonicalJson(raw) !== text) return "was edited: its bytes are not the canonical JSON bake wrote";
  return undefined;
}

// The top-level `prev` of a line. Canonical JSON sorts keys, and the keys after "prev" (reason, runId, server, target,
// type, verify, version) never hold a key of that name, so the last occurrence is the top-level one. A line where
// that is not so is not what bake wrote, and fails the link anyway.
function prevOf(bytes: Uint8Array): string | undefined {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const at = buffer.lastIndexOf(PREV_KEY);
  if (at < 0) return undefined;
  const start = at + PREV_KEY.length;
  if (buffer[start + PREV_LENGTH] !== 0x22) return undefined;
  return buffer.toString("latin1", start, start + PREV_LENGTH);
}
