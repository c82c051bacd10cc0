import { closeSync, fstatSync, openSync } from "node:fs";
import { BakeError } from "../errors.js";
import { digest } from "../util/digest.js";
import { bakeVersion } from "../version.js";
import { cacheFilePath, readChecksummed, writeChecksummed } from "./cache-file.js";
import { appendLines, type Loaded } from "./load.js";
import { ManifestState, type UnreadableLine } from "./state.js";
import { lastNewlineBefore, readRange } from "./tail.js";
import type { ImageRecord, ManifestEvent, ManifestHeader, ParentLink } from "./types.js";

/**
 * Bump whenever what the images-only index keeps (see `slimRecord` in load.ts) or how {@link ManifestState} is
 * rebuilt changes: a cache of another version is ignored and rebuilt.
 */
const CACHE_VERSION = 1;
// How many bytes at the start and at the covered end of the manifest the cache fingerprints.
const SAMPLE = 4096;

/** The cache file (after its checksum line), one JSON document: the index of the manifest's first `length` bytes. */
interface CacheDocument extends PackedIndex {
  cache: "bake-history-cache";
  version: number;
  bakeVersion: string;
  manifest: { length: number; ino: number; head: string; tail: string };
  header?: ManifestHeader;
  lineCount: number;
  lastLineHash?: string;
}

// [line, id, kind, lineage, version, build, parent, driver, artifact, createdAt]: arrays parse several times faster
// than objects with the same values. kind, lineage and driver are indexes into `strings`; an external parent with
// the usual keys is [ref index, id].
type RecordRow = [
  number,
  string,
  number,
  number,
  string,
  number | null,
  string | [number, string] | ParentLink,
  number,
  string,
  string,
];

/** Where the history cache of a manifest lives: `.bake-cache/<name>.history.json` beside it. */
export function historyCachePath(manifestPath: string): string {
  return cacheFilePath(manifestPath, "history");
}

/**
 * The images-only index (as `loadManifestFile(path, { skipLayers: true })` builds it), served from the history
 * cache when the cache still describes the start of the manifest: then only the bytes appended since are parsed.
 * A missing, corrupt, outdated or mismatched cache is ignored and the whole file is read. The cache is then
 * rewritten, best effort: failing to write it never fails the read.
 */
export function loadImagesOnly(path: string): Loaded {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { state: new ManifestState(), completeEnd: 0, lineCount: 0 };
    throw new BakeError({
      code: "manifest-unreadable",
      message: `cannot read the manifest ${path}: ${(error as Error).message}`,
    });
  }
  try {
    // Everything is read through one descriptor, so a file replaced meanwhile cannot mix into the result.
    const { size, ino } = fstatSync(fd);
    const cachePath = historyCachePath(path);
    const cached = readCache(cachePath, fd, { size, ino });
    const loaded = cached ?? { state: new ManifestState(), completeEnd: 0, lineCount: 0 };
    const start = loaded.completeEnd;
    const bytes = readRange(fd, start, size);
    const cut = bytes.lastIndexOf(0x0a) + 1;
    appendLines(loaded, bytes.subarray(0, cut), path, { skipLayers: true });
    if (loaded.completeEnd > start) writeCache(cachePath, toDocument(loaded, fd, ino));
    // Read after the cache is written, so it never holds a line whose newline is missing (the next write adds it).
    appendLines(loaded, bytes.subarray(cut), path, { skipLayers: true });
    return loaded;
  } finally {
    closeSync(fd);
  }
}

// The cached index, or undefined when there is none or it does not match the manifest's bytes.
function readCache(cachePath: string, fd: number, file: { size: number; ino: number }): Loaded | undefined {
  let doc: CacheDocument;
  // The first line is the sha256 of the rest, so a truncated or damaged cache is never believed.
  const body = readChecksummed(cachePath);
  if (body === undefined) return undefined;
  try {
    doc = JSON.parse(body) as CacheDocument;
  } catch {
    return undefined;
  }
  try {
    if (
      doc?.cache !== "bake-history-cache" ||
      doc.version !== CACHE_VERSION ||
      doc.bakeVersion !== bakeVersion() ||
      typeof doc.manifest?.length !== "number" ||
      doc.manifest.length <= 0 ||
      doc.manifest.length > file.size ||
      doc.manifest.ino !== file.ino
    )
      return undefined;
    const { head, tail } = fingerprint(fd, doc.manifest.length);
    if (head !== doc.manifest.head || tail !== doc.manifest.tail) return undefined;
    // The line that ends the covered bytes must be the one the cache indexed last: in a manifest whose chain holds,
    // that line's hash vouches for every line before it, so an edit anywhere in them (re-chained or not) shows here.
    if (doc.lastLineHash !== lastLineHashAt(fd, doc.manifest.length)) return undefined;
    const state = restoreState(doc);
    return {
      ...(doc.header ? { header: doc.header } : {}),
      state,
      completeEnd: doc.manifest.length,
      ...(doc.lastLineHash ? { lastLineHash: doc.lastLineHash } : {}),
      lineCount: doc.lineCount,
    };
  } catch {
    // A document of the right version but the wrong shape: as good as no cache.
    return undefined;
  }
}

function toDocument(loaded: Loaded, fd: number, ino: number): CacheDocument {
  return {
    cache: "bake-history-cache",
    version: CACHE_VERSION,
    bakeVersion: bakeVersion(),
    manifest: { length: loaded.completeEnd, ino, ...fingerprint(fd, loaded.completeEnd) },
    ...(loaded.header ? { header: loaded.header } : {}),
    lineCount: loaded.lineCount,
    ...(loaded.lastLineHash ? { lastLineHash: loaded.lastLineHash } : {}),
    ...packIndex(loaded.state),
  };
}

/** An images-only index as plain JSON (see {@link packIndex}); bump {@link INDEX_VERSION} when its shape changes. */
export interface PackedIndex {
  unreadable: UnreadableLine[];
  /** Repeated values (lineages, drivers, kinds, base references), which rows name by index. */
  strings: string[];
  /** Records as rows, in line order. */
  records: RecordRow[];
  /** Events without what a history never shows (`ci`, `prev`, `bakeVersion`), each with its line. */
  events: { line: number; event: ManifestEvent }[];
}

/** The version of {@link PackedIndex}: caches that keep one record it, and ignore a pack of another version. */
export const INDEX_VERSION = CACHE_VERSION;

/**
 * Packs an images-only index (as `appendLines(..., { skipLayers: true })` builds it) for a cache file; with
 * `skipLayers`, a full index packs as one, without its layer records.
 */
export function packIndex(state: ManifestState, options: { skipLayers?: boolean } = {}): PackedIndex {
  const strings: string[] = [];
  const indexes = new Map<string, number>();
  const intern = (value: string) => {
    let index = indexes.get(value);
    if (index === undefined) {
      index = strings.push(value) - 1;
      indexes.set(value, index);
    }
    return index;
  };
  const shown = options.skipLayers
    ? state.records.filter((record) => record.kind !== "layer")
    : state.records;
  const records = shown.map(
    (record): RecordRow => [
      state.lines.get(record.id) ?? 0,
      record.id,
      intern(record.kind),
      intern(record.lineage),
      record.version,
      record.build ?? null,
      packParent(record.parent, intern),
      intern(record.driver),
      record.artifact,
      record.createdAt,
    ],
  );
  const events = state.events.map((event) => {
    const { ci: _ci, prev: _prev, bakeVersion: _bakeVersion, ...kept } = event;
    return { line: state.lines.get(event.id) ?? 0, event: kept as ManifestEvent };
  });
  return { unreadable: state.unreadable, strings, records, events };
}

/** The index {@link packIndex} packed. Throws on a pack of the wrong shape (callers treat that as no cache). */
export function unpackIndex(doc: PackedIndex): ManifestState {
  return restoreState(doc);
}

// Only what a history reads of a record; entries are added in line order, as the manifest had them.
function restoreState(doc: PackedIndex): ManifestState {
  const { strings } = doc;
  const at = (index: number) => {
    const value = strings[index];
    if (value === undefined) throw new Error("bad string index");
    return value;
  };
  const state = new ManifestState();
  let next = 0;
  for (const row of doc.records) {
    const line = row[0];
    while (next < doc.events.length && (doc.events[next]?.line ?? 0) < line) {
      const { event, line: eventLine } = doc.events[next++] as PackedIndex["events"][number];
      state.add(event, eventLine);
    }
    const record = {
      type: "record",
      id: row[1],
      kind: at(row[2]),
      lineage: at(row[3]),
      version: row[4],
      build: row[5] ?? undefined,
      parent: unpackParent(row[6], at),
      driver: at(row[7]),
      artifact: row[8],
      createdAt: row[9],
    } as ImageRecord;
    state.add(record, line);
  }
  for (const { event, line } of doc.events.slice(next)) state.add(event, line);
  state.unreadable.push(...doc.unreadable);
  return state;
}

function packParent(parent: ParentLink, intern: (value: string) => number): RecordRow[6] {
  if ("record" in parent) return Object.keys(parent).length === 1 ? parent.record : parent;
  const keys = Object.keys(parent.external);
  // Rebuilt as {id, ref}, the order canonical JSON gives; anything else is kept as it is.
  return keys.length === 2 && keys[0] === "id" && keys[1] === "ref" && Object.keys(parent).length === 1
    ? [intern(parent.external.ref), parent.external.id]
    : parent;
}

function unpackParent(packed: RecordRow[6], at: (index: number) => string): ParentLink {
  if (typeof packed === "string") return { record: packed };
  if (Array.isArray(packed)) return { external: { id: packed[1], ref: at(packed[0]) } };
  if (typeof packed === "object" && packed !== null) return packed;
  throw new Error("bad parent");
}

// sha256 of the first and of the last (up to) 4 KiB of the manifest's first `length` bytes.
function fingerprint(fd: number, length: number): { head: string; tail: string } {
  return {
    head: digest(readRange(fd, 0, Math.min(SAMPLE, length))),
    tail: digest(readRange(fd, Math.max(0, length - SAMPLE), length)),
  };
}

function writeCache(cachePath: string, doc: CacheDocument): void {
  writeChecksummed(cachePath, JSON.stringify(doc));
}

// The digest of the complete line that ends at `length` (which is just after a newline).
function lastLineHashAt(fd: number, length: number): string | undefined {
  if (length <= 0) return undefined;
  const start = lastNewlineBefore(fd, length - 1) + 1;
  return digest(readRange(fd, start, length - 1));
}
