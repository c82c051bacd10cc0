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
  /**
   * A cheap proof of the first `tip.count` lines as they are now, kept by the local cache of a store-backed manifest
   * and given back to {@link LineStore.stillHolds}: for git the tip commit, for PostgreSQL the transaction ids of the
   * rows (an UPDATE, or a DELETE and INSERT, gives a row a new one, even with the append-only trigger disabled).
   */
  witness?(tip: StoreTip): Promise<string>;
  /** Whether none of the first `count` lines changed since `witness` was taken (call after a `read`). */
  stillHolds?(witness: string, count: number): Promise<boolean>;
  /** Facts for `bake manifest info` (never secrets). */
  describe(): Promise<Record<string, string | number>>;
  /** Releases connections and temporary refs. */
  close(): Promise<void>;
}
