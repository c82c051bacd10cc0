import { readFileSync } from "node:fs";
import { BakeError } from "../errors.js";
import { pick } from "../util/pick.js";
import { parseHeader } from "./format.js";
import { digest } from "./hash.js";
import { migrateEntry } from "./migrate.js";
import { ManifestState } from "./state.js";
import type { ImageRecord, ManifestEntry, ManifestHeader, TornTail } from "./types.js";

/** A manifest read into memory, and where its complete lines end (appends from other processes start there). */
export interface Loaded {
  header?: ManifestHeader;
  state: ManifestState;
  /** Bytes of complete lines. */
  completeEnd: number;
  /** Digest of the last complete line: the `prev` of the next line. */
  lastLineHash?: string;
  /** Complete lines read, header included. */
  lineCount: number;
  torn?: TornTail;
}

/** Options for {@link loadManifestFile}. */
export interface LoadOptions {
  /**
   * Leave layer records out of the index (they are two thirds of a typical manifest), and keep only the fields a
   * history shows of the others: enough for histories of images, their status and channels, and much faster.
   * Never used for an index a writer extends or a command that shows whole records. @default false
   */
  skipLayers?: boolean;
}

/** Reads the whole manifest. A missing or empty file reads as a manifest with no header and no records. */
export function loadManifestFile(path: string, options: LoadOptions = {}): Loaded {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { state: new ManifestState(), completeEnd: 0, lineCount: 0 };
    throw new BakeError({
      code: "manifest-unreadable",
      message: `cannot read the manifest ${path}: ${(error as Error).message}`,
    });
  }
  const loaded: Loaded = { state: new ManifestState(), completeEnd: 0, lineCount: 0 };
  appendLines(loaded, bytes, path, options);
  return loaded;
}

/** Parses the bytes that follow `loaded.completeEnd` into `loaded`, so a writer can catch up without re-reading. */
export function appendLines(loaded: Loaded, bytes: Buffer, path: string, options: LoadOptions = {}): void {
  const lastNewline = bytes.lastIndexOf(NEWLINE);
  const completeBytes = lastNewline + 1;
  let line = loaded.lineCount;
  let start = 0;
  // Works on bytes, decoding only the lines it parses: skipped layer lines are never turned into strings.
  let nextBuild = -1;
  while (start < completeBytes) {
    const end = bytes.indexOf(NEWLINE, start);
    line += 1;
    if (line === 1) {
      loaded.header = parseHeader(bytes.toString("utf8", start, end), path);
    } else {
      if (options.skipLayers && nextBuild < start) {
        const found = bytes.indexOf(BUILD_KEY, start);
        nextBuild = found < 0 ? bytes.length : found;
      }
      const skip = options.skipLayers && isLayerLine(bytes, start, end, nextBuild);
      if (!skip)
        parseEntryLine(loaded, bytes.toString("utf8", start, end), line, options.skipLayers === true);
    }
    start = end + 1;
  }
  if (lastNewline >= 0) {
    const lineStart = bytes.lastIndexOf(NEWLINE, lastNewline - 1) + 1;
    loaded.lastLineHash = digest(bytes.subarray(lineStart, lastNewline));
  }
  const tornBytes = bytes.length - completeBytes;
  loaded.torn =
    tornBytes > 0
      ? { line: line + 1, offset: loaded.completeEnd + completeBytes, bytes: tornBytes }
      : undefined;
  if (line === 0 && tornBytes > 0) {
    // Even the header is incomplete: read it as far as it goes, so a foreign file is still refused.
    loaded.header = parseHeader(bytes.toString("utf8"), path);
  }
  loaded.completeEnd += completeBytes;
  loaded.lineCount = line;
}

const NEWLINE = 0x0a;
const RECORD_START = Buffer.from('{"artifact":');
const BUILD_KEY = Buffer.from('"build":');

// Canonical JSON sorts keys, so a format 1.x record line starts with its "artifact" field, and only image records
// have a top-level "build". A layer line may mention "build" inside details or labels; then it is parsed anyway.
function isLayerLine(bytes: Buffer, start: number, end: number, nextBuild: number): boolean {
  const isRecord =
    bytes.compare(RECORD_START, 0, RECORD_START.length, start, start + RECORD_START.length) === 0;
  return isRecord && !(nextBuild >= start && nextBuild < end);
}

function parseEntryLine(loaded: Loaded, text: string, line: number, slim: boolean): void {
  let entry: ManifestEntry | undefined;
  try {
    const raw = JSON.parse(text) as unknown;
    entry =
      typeof raw === "object" && raw !== null ? migrateEntry(raw as Record<string, unknown>) : undefined;
  } catch (error) {
    loaded.state.unreadable.push({ line, message: `not JSON (${(error as Error).message})` });
    return;
  }
  if (entry === undefined || typeof entry.id !== "string") {
    loaded.state.unreadable.push({ line, message: "not a record or event" });
    return;
  }
  loaded.state.add(slim && entry.type === "record" ? slimRecord(entry) : entry, line);
}

// What a history needs of a record. Keeping only this makes the images-only index several times smaller, which
// is most of its cost on a large manifest (the garbage collector, not the parsing).
const HISTORY_FIELDS = [
  "type",
  "id",
  "prev",
  "kind",
  "lineage",
  "version",
  "build",
  "parent",
  "driver",
  "artifact",
  "recipeDigest",
  "createdAt",
  "bakeVersion",
] as const satisfies readonly (keyof ImageRecord)[];

function slimRecord(record: ImageRecord): ImageRecord {
  return pick(record, HISTORY_FIELDS);
}
