import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { digest } from "../../util/digest.js";
import { makeDirectories } from "../../util/make-directories.js";
import { bakeVersion } from "../../version.js";
import { readChecksummed, writeChecksummed } from "../cache-file.js";
import { INDEX_VERSION, type PackedIndex } from "../history-cache.js";
import { lastNewlineBefore, readRange } from "../tail.js";
import type { ManifestHeader } from "../types.js";

const VERSION = 1;

/**
 * The local cache of a store-backed lineage: the store's first `count` lines as bytes (`<key>.lines`), and a
 * checksummed document (`<key>.json`) with the chain state at that position and the images-only history index of
 * those lines. It is disposable: whatever does not match is ignored and rebuilt from the store.
 */
export interface StoreCache {
  /** Lines covered, header included. */
  count: number;
  /** Digest of line `count - 1`: the store's line there must still hash to it. */
  lastLineHash: string;
  /** The store's own proof that none of the first `count` lines changed since (see `LineStore.witness`). */
  witness?: string;
  header: ManifestHeader;
  /** Bytes of `<key>.lines` that hold the `count` lines (the file may be longer). */
  linesBytes: number;
  /** The images-only history index of the `count` lines. */
  index: PackedIndex;
}

/** Where the cache of one store lives. */
export interface StoreCachePaths {
  document: string;
  lines: string;
  /** Who the cache is of: the store's location without its password. */
  identity: string;
}

/**
 * The cache files of a store, under `$BAKE_CACHE_DIR/stores`, else `$XDG_CACHE_HOME/bake/stores`, else
 * `~/.cache/bake/stores`, named by a hash of the store's identity (never its password).
 */
export function storeCachePaths(
  identity: string,
  env: Readonly<Record<string, string | undefined>>,
): StoreCachePaths {
  const root = env.BAKE_CACHE_DIR
    ? env.BAKE_CACHE_DIR
    : env.XDG_CACHE_HOME
      ? join(env.XDG_CACHE_HOME, "bake")
      : join(homedir(), ".cache", "bake");
  const key = createHash("sha256").update(identity).digest("hex").slice(0, 32);
  const dir = join(root, "stores");
  return { document: join(dir, `${key}.json`), lines: join(dir, `${key}.lines`), identity };
}

/**
 * The cache, or undefined when there is none, it is damaged (checksum), of another bake or format, of another store,
 * or its lines file no longer ends with the line it names. Checks only what is cheap; the lines themselves are
 * verified by {@link readCachedLines} when a caller needs them.
 */
export function readStoreCache(paths: StoreCachePaths): StoreCache | undefined {
  const body = readChecksummed(paths.document);
  if (body === undefined) return undefined;
  try {
    const doc = JSON.parse(body) as Partial<StoreCache> & Record<string, unknown>;
    if (
      doc.cache !== "bake-store-cache" ||
      doc.version !== VERSION ||
      doc.indexVersion !== INDEX_VERSION ||
      doc.bakeVersion !== bakeVersion() ||
      doc.identity !== paths.identity ||
      typeof doc.count !== "number" ||
      doc.count < 1 ||
      typeof doc.linesBytes !== "number" ||
      typeof doc.lastLineHash !== "string" ||
      typeof doc.header !== "object" ||
      typeof doc.index !== "object" ||
      doc.index === null
    )
      return undefined;
    if (lastLineHashOf(paths.lines, doc.linesBytes) !== doc.lastLineHash) return undefined;
    return {
      count: doc.count,
      lastLineHash: doc.lastLineHash,
      ...(typeof doc.witness === "string" ? { witness: doc.witness } : {}),
      header: doc.header as ManifestHeader,
      linesBytes: doc.linesBytes,
      index: doc.index,
    };
  } catch {
    return undefined;
  }
}

/** The first `bytes` bytes of the cached lines, or undefined when the file is shorter or unreadable. */
export function readCachedLines(paths: StoreCachePaths, bytes: number): Buffer | undefined {
  try {
    const fd = openSync(paths.lines, "r");
    try {
      if (fstatSync(fd).size < bytes) return undefined;
      return readRange(fd, 0, bytes);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * Records the cache, best effort. `lines` are the bytes of the store's lines from byte `offset` of the lines file
 * (0: the whole file is written anew, aside and renamed in). Lines past the start are written in place: the store is
 * linear, so any process writes the same bytes at the same offset, and the document, written last and atomically,
 * says how many of them count.
 */
export function writeStoreCache(
  paths: StoreCachePaths,
  cache: StoreCache,
  lines: { offset: number; bytes: Buffer },
): void {
  try {
    if (lines.offset === 0) {
      makeDirectories(join(paths.lines, ".."));
      const temp = `${paths.lines}.${process.pid}.${Date.now()}.tmp`;
      const fd = openSync(temp, "w", 0o600);
      try {
        writeAll(fd, lines.bytes, 0);
      } finally {
        closeSync(fd);
      }
      try {
        renameSync(temp, paths.lines);
      } catch (error) {
        rmSync(temp, { force: true });
        throw error;
      }
    } else if (lines.bytes.length > 0) {
      const fd = openSync(paths.lines, "r+");
      try {
        writeAll(fd, lines.bytes, lines.offset);
      } finally {
        closeSync(fd);
      }
    }
  } catch {
    // A cache that cannot be written only costs the next process a full read.
    return;
  }
  writeChecksummed(
    paths.document,
    JSON.stringify({
      cache: "bake-store-cache",
      version: VERSION,
      indexVersion: INDEX_VERSION,
      bakeVersion: bakeVersion(),
      identity: paths.identity,
      ...cache,
    }),
  );
}

/** Removes a cache found damaged, so the next process does not trip on it again. */
export function dropStoreCache(paths: StoreCachePaths): void {
  rmSync(paths.document, { force: true });
  rmSync(paths.lines, { force: true });
}

function writeAll(fd: number, bytes: Buffer, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

// The digest of the line that ends at byte `end` of the lines file (just after its newline).
function lastLineHashOf(path: string, end: number): string | undefined {
  try {
    const fd = openSync(path, "r");
    try {
      if (end <= 0 || fstatSync(fd).size < end) return undefined;
      const start = lastNewlineBefore(fd, end - 1) + 1;
      return digest(readRange(fd, start, end - 1));
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
