import { closeSync, fstatSync, lstatSync, openSync, readlinkSync, type Stats, statSync } from "node:fs";
import { BakeError } from "../errors.js";
import { digest } from "../util/digest.js";
import { fileKind } from "../util/file-kind.js";
import { pick } from "../util/pick.js";
import { bakeVersion } from "../version.js";
import type { Manifest, OpenOptions } from "./api.js";
import { appendLine, chainBrokenError, createManifestFile, type WriteContext } from "./append.js";
import { ChainVerifier } from "./chain.js";
import { ciInfo } from "./ci.js";
import { parseHeader } from "./format.js";
import { deepFreeze } from "./freeze.js";
import { serializeEntry, shortId } from "./hash.js";
import { buildHistory } from "./history.js";
import { loadImagesOnly } from "./history-cache.js";
import { IndexedManifest } from "./indexed-manifest.js";
import { unterminatedLine, verifyWithLastLine } from "./last-line.js";
import { shapeProblem } from "./line-shape.js";
import { appendLines, type Loaded, loadManifestFile, readManifestFile } from "./load.js";
import { migrateEntry } from "./migrate.js";
import { indexLazily, missingManifestError, mustExist } from "./open-options.js";
import { checkEvent, checkNewRecord } from "./rules.js";
import type { ManifestState } from "./state.js";
import { lastNewlineBefore, readRange, readTail, scanBackward } from "./tail.js";
import type {
  HistoryOptions,
  ImageRecord,
  Integrity,
  LineageHistory,
  ManifestEvent,
  ManifestHeader,
  NewEvent,
  NewRecord,
  TornTail,
} from "./types.js";

/**
 * The file-backed manifest. Opening reads the header, then indexes the file asynchronously (opened `lazy`, as the
 * CLI does, it reads only the header and builds the index synchronously on first read). A writer holding
 * the lock reads just the file's tail (and, when the index is loaded, the lines others appended since), never the
 * whole file again.
 */
export class ManifestFile extends IndexedManifest implements Manifest {
  private loaded: Loaded | undefined;
  // A read-only index without layer records, for histories; dropped whenever the file is written or reloaded.
  private imagesOnly: Loaded | undefined;
  // What the last chain verification found; dropped on reload, and known intact after this process appends.
  private checked: Integrity | undefined;

  private constructor(
    readonly path: string,
    private readonly options: OpenOptions,
    private headerSeen: ManifestHeader | undefined,
  ) {
    super();
  }

  static async open(path: string, options: OpenOptions): Promise<ManifestFile> {
    refuseSpecialFile(path);
    const file = new ManifestFile(path, options, undefined);
    if (options.create) {
      await createManifestFile(path, { ...file.headerFields(), lockTimeoutMs: options.lockTimeoutMs });
    }
    file.headerSeen = readHeader(path);
    if (file.headerSeen === undefined && mustExist(options)) throw missingManifestError(path);
    if (!indexLazily(options)) await file.reload();
    return file;
  }

  header(): ManifestHeader | undefined {
    return this.loaded?.header ?? this.headerSeen;
  }

  history(options?: HistoryOptions): LineageHistory[] {
    if (options?.includeLayers || this.loaded) return buildHistory(this.state(), options);
    // Images only: an index without layer records is enough, and much cheaper to build. The cache is used only
    // while the chain holds, so it can never show what a line said before someone edited it.
    if (!this.imagesOnly) {
      this.imagesOnly =
        this.options.historyCache && this.integrity().intact
          ? loadImagesOnly(this.path)
          : loadManifestFile(this.path, { skipLayers: true });
      this.warnUnreadable(this.imagesOnly.state, this.options.onWarning);
    }
    return buildHistory(this.imagesOnly.state, options);
  }

  integrity(): Integrity {
    this.checked ??= checkChain(this.path);
    return this.checked;
  }

  tornTail(): TornTail | undefined {
    if (this.imagesOnly && !this.loaded) return this.imagesOnly.torn;
    this.state();
    return this.loaded?.torn;
  }

  async reload(): Promise<void> {
    this.imagesOnly = undefined;
    this.checked = undefined;
    const verifier = this.options.verify ? new ChainVerifier() : undefined;
    this.loaded = await readManifestFile(this.path, verifier ? { verifier } : {});
    this.headerSeen = this.loaded.header;
    this.warnUnreadable(this.loaded.state, this.options.onWarning);
    // Every complete line was just hashed into the chain, and it held (or the read threw).
    if (verifier) this.checked = { intact: true };
  }

  async register(input: NewRecord): Promise<ImageRecord> {
    this.refuseBrokenChain();
    checkNewRecord(input);
    const validate = await lineValidator();
    const createdAt = this.now();
    const outcome = await this.append((context) => {
      const parent = "record" in input.parent ? input.parent.record : undefined;
      if (parent !== undefined && !this.hasRecord(context, parent)) {
        throw new BakeError({
          code: "record-invalid",
          message: `cannot register ${input.lineage}: its parent ${parent} is not in ${this.path}`,
        });
      }
      const body = compact({
        type: "record",
        ...pickRecordFields(input),
        ...(input.kind === "image"
          ? { build: this.lastBuild(context, input.lineage) + 1, layers: input.layers ?? [] }
          : {}),
        createdAt,
        bakeVersion: bakeVersion(),
        ci: ciInfo(this.options.env ?? process.env),
        prev: context.prev,
      });
      return serialize(body, "record", validate) as { line: string; value: ImageRecord };
    });
    return outcome as ImageRecord;
  }

  async appendEvent(input: NewEvent): Promise<ManifestEvent> {
    // Before the rules, which would judge the event by lines that may have been edited.
    this.refuseBrokenChain();
    checkEvent(this.state(), input);
    const validate = await lineValidator();
    const at = this.now();
    return (await this.append((context) => {
      const target = checkEvent(this.state(), input);
      const body = compact({
        type: "event",
        ...input,
        lineage: target.lineage,
        at,
        bakeVersion: bakeVersion(),
        ci: ciInfo(this.options.env ?? process.env),
        prev: context.prev,
      });
      return serialize(body, "event", validate);
    })) as ManifestEvent;
  }

  // An early refusal, with the same error the locked append gives (which remains the one that counts).
  private refuseBrokenChain(): void {
    const { problem } = this.integrity();
    if (problem) throw chainBrokenError(this.path, problem);
  }

  // Appends under the lock, after catching the index up with what others wrote; then adds the line to the index.
  private async append(
    compose: (context: WriteContext) => { line: string; value: ImageRecord | ManifestEvent },
  ): Promise<ImageRecord | ManifestEvent> {
    const result = await appendLine(
      this.path,
      { ...this.headerFields(), lockTimeoutMs: this.options.lockTimeoutMs },
      (context) => {
        this.catchUp(context);
        const unreadable = this.loaded?.state.unreadable[0];
        if (unreadable) {
          throw new BakeError({
            code: "manifest-damaged",
            message: `${this.path} line ${unreadable.line} cannot be read (${unreadable.message}); bake will not write to a damaged manifest`,
            hint: "run `bake fsck` to see every problem, and restore the file (from git, say) before building again",
          });
        }
        const composed = compose(context);
        return { line: composed.line, value: composed };
      },
    );
    if (result.repaired) {
      this.options.onWarning?.(
        `${this.path}: a torn last line (${result.repaired.bytes} bytes, from a process killed mid-write) was moved to ${result.repaired.file}`,
      );
    }
    const { line, value } = result.value;
    this.imagesOnly = undefined;
    // The writer verified the chain under the lock before it appended.
    this.checked = { intact: true };
    if (this.loaded) {
      this.loaded.state.add(value, ++this.loaded.lineCount);
      this.loaded.completeEnd = result.end;
      this.loaded.lastLineHash = digest(line);
      this.loaded.torn = undefined;
    }
    this.headerSeen ??= readHeader(this.path);
    return value;
  }

  // Brings a loaded index up to the locked file: reads only the bytes appended since, or everything if the
  // file changed under us (replaced, rewritten by git).
  private catchUp(context: WriteContext): void {
    const loaded = this.loaded;
    if (!loaded) return;
    // An index holding a line that lacked its newline is read again: the writer has since added it.
    if (loaded.unterminated || loaded.completeEnd > context.end || !this.endsWith(context.fd, loaded)) {
      this.loaded = loadManifestFile(this.path);
      return;
    }
    if (loaded.completeEnd < context.end) {
      appendLines(loaded, readRange(context.fd, loaded.completeEnd, context.end), this.path);
    }
    loaded.torn = undefined;
  }

  private endsWith(fd: number, loaded: Loaded): boolean {
    if (loaded.completeEnd === 0) return true;
    const start = lastNewlineBefore(fd, loaded.completeEnd - 1) + 1;
    return digest(readRange(fd, start, loaded.completeEnd - 1)) === loaded.lastLineHash;
  }

  private hasRecord(context: WriteContext, id: string): boolean {
    if (this.loaded) return this.loaded.state.byId.has(id);
    const needle = `"id":${JSON.stringify(id)}`;
    return scanBackward(
      context.fd,
      context.end,
      (line) => line.includes(needle) && parseLine(line, this.path)?.id === id,
    );
  }

  private lastBuild(context: WriteContext, lineage: string): number {
    if (this.loaded) {
      const images = this.loaded.state.imagesByLineage.get(lineage) ?? [];
      return Math.max(0, ...images.map((image) => image.build ?? 0));
    }
    // Builds only grow, so the last image line of the lineage holds the highest number.
    const needle = `"lineage":${JSON.stringify(lineage)}`;
    let build = 0;
    scanBackward(context.fd, context.end, (line) => {
      if (!line.includes(needle) || !line.includes('"kind":"image"')) return false;
      const entry = parseLine(line, this.path);
      if (entry?.type !== "record" || entry.kind !== "image" || entry.lineage !== lineage) return false;
      build = entry.build ?? 0;
      return true;
    });
    return build;
  }

  // Built on open, asynchronously, unless the manifest was opened `lazy` (the CLI): then on first use, synchronously.
  protected override state(): ManifestState {
    if (!this.loaded) {
      this.loaded = loadManifestFile(this.path);
      this.warnUnreadable(this.loaded.state, this.options.onWarning);
    }
    return this.loaded.state;
  }

  // The images-only index that history() built (from the history cache) skips layer records, never events: until
  // the full index is loaded, it answers the event reads too, so `bake history` does not parse the whole file.
  protected override eventState(): ManifestState {
    return this.loaded === undefined && this.imagesOnly !== undefined ? this.imagesOnly.state : this.state();
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }

  private headerFields() {
    return { createdAt: this.now(), bakeVersion: bakeVersion() };
  }
}

export type Validate = (line: unknown, kind: "record" | "event") => string[];

// The precompiled validators are loaded only by writers, so reading a history never pays for them.
export async function lineValidator(): Promise<Validate> {
  return (await import("./schema.js")).schemaProblems;
}

// Validates a line against the schema before it is written, and gives its exact text and its stored value.
export function serialize(body: Record<string, unknown>, kind: "record" | "event", validate: Validate) {
  const { text } = serializeEntry(body);
  // Parsed back from the line itself, then frozen: what a writer returns is exactly what readers will see, and
  // shares nothing with the caller's input (which is the caller's to change).
  const value = deepFreeze(JSON.parse(text)) as ImageRecord | ManifestEvent;
  const problems = validate(value, kind);
  if (problems.length > 0) {
    throw new BakeError({
      code: `${kind}-invalid`,
      message: `cannot write this ${kind}: it does not match schemas/manifest.schema.json`,
      detail: problems.map((problem) => `  ${problem}`).join("\n"),
    });
  }
  return { line: text, value };
}

// A line a register's backward scan builds on (its parent, the last build of its lineage). It passes the shape check
// every index applies, or the register is refused: a build number that is a string would make the next one "51".
function parseLine(line: string, path: string) {
  let entry: ReturnType<typeof migrateEntry>;
  try {
    entry = migrateEntry(JSON.parse(line) as Record<string, unknown>);
  } catch {
    return undefined;
  }
  if (entry === undefined || typeof entry.id !== "string") return undefined;
  const problem = shapeProblem(entry);
  if (problem !== undefined) {
    throw new BakeError({
      code: "manifest-damaged",
      message: `${path}: the line of ${entry.type} ${shortId(entry.id)} cannot be read (not a valid ${entry.type}: ${problem}); bake will not write to a damaged manifest`,
      hint: "run `bake fsck` to see every problem, and restore the file (from git, say) before building again",
    });
  }
  return entry;
}

// Verifies the chain of the file's lines, a last one without its newline included if it is whole (a torn last line
// is reported apart, by tornTail).
function checkChain(path: string): Integrity {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    // A missing file holds nothing to distrust; an unreadable one fails on the first read with a clear error.
    return { intact: true };
  }
  try {
    const size = fstatSync(fd).size;
    const tail = readTail(fd, size);
    if (tail.completeEnd === 0) return { intact: true };
    const { problem } = verifyWithLastLine(path, fd, tail.completeEnd, unterminatedLine(fd, tail, size));
    return problem ? { intact: false, problem } : { intact: true };
  } finally {
    closeSync(fd);
  }
}

// Every read and write of the manifest opens it synchronously: on a FIFO or a device, that open would wait for a
// writer forever, in a call no signal can interrupt. Anything but a regular file (or nothing yet) is refused first.
function refuseSpecialFile(path: string): void {
  let info: Stats;
  try {
    info = statSync(path);
  } catch {
    // Missing (a build creates it) or unreadable (the first read says why), unless a symlink names it: a build
    // cannot create the file at the end of a dangling link.
    const link = lstatSync(path, { throwIfNoEntry: false });
    if (link?.isSymbolicLink()) {
      throw new BakeError({
        code: "manifest-not-a-file",
        message: `the manifest ${path} is a symlink to ${readlinkSync(path)}, which does not exist`,
        hint: "point the link at the lineage manifest, or remove it so that `bake build` creates the manifest there",
      });
    }
    return;
  }
  if (info.isFile()) return;
  const what = info.isDirectory() ? "a directory" : fileKind(info);
  throw new BakeError({
    code: "manifest-not-a-file",
    message: `the manifest ${path} is ${what}, not a regular file`,
    hint: "give --manifest (or BAKE_MANIFEST) the path of a lineage manifest file; `bake build` creates it with its first image",
  });
}

// Reads just the first line: enough to refuse a foreign file or a newer format before anything else happens.
function readHeader(path: string): ManifestHeader | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new BakeError({
      code: "manifest-unreadable",
      message: `cannot read the manifest ${path}: ${(error as Error).message}`,
    });
  }
  try {
    const head = readRange(fd, 0, 64 * 1024);
    if (head.length === 0) return undefined;
    const newline = head.indexOf(0x0a);
    return parseHeader(head.toString("utf8", 0, newline < 0 ? head.length : newline), path);
  } finally {
    closeSync(fd);
  }
}

// Only the fields a caller may set: ids, build numbers and times are the manifest's to assign.
const CALLER_FIELDS = [
  "kind",
  "lineage",
  "version",
  "parent",
  "driver",
  "artifact",
  "recipeDigest",
  "layer",
  "layers",
  "verify",
  "labels",
  "details",
  "runId",
] as const satisfies readonly (keyof NewRecord)[];

export function pickRecordFields(input: NewRecord): NewRecord {
  return pick(input, CALLER_FIELDS);
}

// Leaves out undefined fields, so ids never depend on how absent values are spelled.
export function compact(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}
