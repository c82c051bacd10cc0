import { readFileSync } from "node:fs";
import { setImmediate as nextTurn } from "node:timers/promises";
import { BakeError } from "../errors.js";
import { digest } from "../util/digest.js";
import { readFile } from "../util/fs-async.js";
import { pick } from "../util/pick.js";
import type { ChainBreak, ChainVerifier } from "./chain.js";
import { parseHeader } from "./format.js";
import { isWholeLine } from "./last-line.js";
import { shapeProblem } from "./line-shape.js";
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
  /**
   * The last line, when it is whole but lacks its newline (see `isWholeLine`): indexed like the others, but left out
   * of `completeEnd`, `lineCount` and `lastLineHash`. An index that holds one is never extended from `completeEnd`
   * (that line would be read twice): it is read again.
   */
  unterminated?: { line: number; offset: number };
}

/** Options for {@link loadManifestFile}. */
export interface LoadOptions {
  /**
   * Leave layer records out of the index (they are two thirds of a typical manifest), and keep only the fields a
   * history shows of the others: enough for histories of images, their status and channels, and much faster.
   * Never used for an index a writer extends or a command that shows whole records. @default false
   */
  skipLayers?: boolean;
  /**
   * Feed every complete line to this verifier as it is read, and throw a `manifest-chain-broken` BakeError naming
   * the first line that breaks the chain (see {@link chainUnverifiedError}).
   */
  verifier?: ChainVerifier;
}

/** An index with nothing in it: what a missing or empty manifest reads as. */
export function emptyLoaded(): Loaded {
  return { state: new ManifestState(), completeEnd: 0, lineCount: 0 };
}

/**
 * Reads the whole manifest, synchronously. A missing or empty file reads as a manifest with no header and no records.
 * Only for the CLI's lazy reads (`OpenOptions.lazy`) and for a writer catching up under its lock, where the process
 * has nothing else to do meanwhile; everything else uses {@link readManifestFile}.
 */
export function loadManifestFile(path: string, options: LoadOptions = {}): Loaded {
  const loaded = emptyLoaded();
  let bytes: Buffer | undefined;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    bytes = missingOrThrow(path, error);
  }
  if (bytes) appendLines(loaded, bytes, path, options);
  return loaded;
}

/**
 * Reads the whole manifest without holding up the event loop: the bytes are read asynchronously, and indexed in
 * batches with a turn of the event loop between them (see {@link indexBytes}). A missing file reads as empty.
 */
export async function readManifestFile(path: string, options: LoadOptions = {}): Promise<Loaded> {
  const loaded = emptyLoaded();
  let bytes: Buffer | undefined;
  try {
    bytes = await readFile(path);
  } catch (error) {
    bytes = missingOrThrow(path, error);
  }
  if (bytes) await indexBytes(loaded, bytes, path, options);
  return loaded;
}

// About a millisecond or two of parsing per batch on a typical machine: short enough that timers and I/O callbacks
// of the rest of the program run on time, long enough that the turns cost nothing measurable.
const BATCH_BYTES = 256 << 10;

/**
 * {@link appendLines} in batches of complete lines (about 256 KiB each), yielding to the event loop after each, so
 * indexing a manifest of any size never blocks timers or I/O for long.
 */
export async function indexBytes(
  loaded: Loaded,
  bytes: Buffer,
  path: string,
  options: LoadOptions = {},
): Promise<void> {
  let start = 0;
  while (bytes.length - start > BATCH_BYTES) {
    const end = bytes.lastIndexOf(NEWLINE, start + BATCH_BYTES) + 1;
    if (end <= start) break;
    appendLines(loaded, bytes.subarray(start, end), path, options);
    start = end;
    await nextTurn();
  }
  appendLines(loaded, bytes.subarray(start), path, options);
  const problem = options.verifier?.finish();
  if (problem) throw chainUnverifiedError(path, problem);
}

/** What a read that verifies the chain (`verify: true`) throws at the first line that breaks it. */
export function chainUnverifiedError(path: string, problem: ChainBreak): BakeError {
  return new BakeError({
    code: "manifest-chain-broken",
    message: `${path} does not verify: ${problem.message}`,
    hint: "run `bake fsck` to see every problem, then restore that line as bake wrote it (from git or a backup); open without `verify` to read it anyway",
  });
}

// A missing file reads as empty (undefined); any other failure to read is a clear BakeError.
function missingOrThrow(path: string, error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
  throw new BakeError({
    code: "manifest-unreadable",
    message: `cannot read the manifest ${path}: ${(error as Error).message}`,
  });
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
    if (options.verifier?.push(bytes.subarray(start, end))) {
      throw chainUnverifiedError(path, options.verifier.problem as ChainBreak);
    }
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
  const offset = loaded.completeEnd + completeBytes;
  const rest = tornBytes > 0 && line > 0 ? bytes.toString("utf8", completeBytes) : undefined;
  loaded.torn = undefined;
  loaded.unterminated = undefined;
  if (rest !== undefined && isWholeLine(rest)) {
    // A whole line that lost its newline: read like any other.
    if (options.verifier?.push(bytes.subarray(completeBytes))) {
      throw chainUnverifiedError(path, options.verifier.problem as ChainBreak);
    }
    parseEntryLine(loaded, rest, line + 1, options.skipLayers === true);
    loaded.unterminated = { line: line + 1, offset };
  } else if (tornBytes > 0) {
    loaded.torn = { line: line + 1, offset, bytes: tornBytes };
  }
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
// A line shorter than that start (a blank or garbage line) is parsed, and reported as unreadable.
function isLayerLine(bytes: Buffer, start: number, end: number, nextBuild: number): boolean {
  const isRecord =
    end - start >= RECORD_START.length &&
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
  // Every line, however its hash checks out (anyone can forge a chain): nothing that reads the index may meet a
  // record whose parent is null or whose version is a number.
  const problem = shapeProblem(entry);
  if (problem !== undefined) {
    loaded.state.unreadable.push({ line, message: `not a valid ${entry.type}: ${problem}` });
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
