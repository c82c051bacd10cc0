/**
 * Where a store stands: how many lines it holds, and a token that names exactly that state (a git commit, or
 * the line count for PostgreSQL). A write is accepted only if the store still stands there.
 */
export interface StoreTip {
  /** Lines in the store, the header included. */
  count: number;
  /** An opaque name for this state; "" for an empty store. */
  token: string;
}

/** Lines read from a store, from some position up to its tip. */
export interface StoreRead {
  /** The lines from the position asked for, without newlines. */
  lines: string[];
  tip: StoreTip;
}

/** The outcome of a compare-and-swap append. */
export type StoreAppend =
  /** Durable: pushed to the remote, or committed. */
  | { ok: true; tip: StoreTip }
  /** Someone else appended first (retry after reading what they wrote), or the store refused the write. */
  | { ok: false; reason: "conflict" | "refused"; message: string };

/**
 * The narrow interface every lineage store implements: an append-only sequence of lines (line 0 is the
 * manifest header), read from a position, appended to by compare-and-swap on the tip. Stores know nothing of
 * records, ids or chains; the manifest above them composes and checks lines.
 */
export interface LineStore {
  readonly kind: "file" | "git" | "postgres";
  /** The location as it may be printed (no password). */
  readonly display: string;
  /** Lines from `from` (0-based) to the tip, and the tip. */
  read(from: number): Promise<StoreRead>;
  /** Appends `lines` if the store still stands at `expected`; returns only once the lines are durable. */
  append(lines: readonly string[], expected: StoreTip): Promise<StoreAppend>;
  /** Facts for `bake manifest info` (never secrets). */
  describe(): Promise<Record<string, string | number>>;
  /** Releases connections and temporary refs. */
  close(): Promise<void>;
}
