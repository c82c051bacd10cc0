import { BakeError } from "../../errors.js";
import { digest } from "../../util/digest.js";
import { bakeVersion } from "../../version.js";
import type { Manifest, OpenOptions } from "../api.js";
import { chainBrokenError } from "../append.js";
import { ChainVerifier } from "../chain.js";
import { ciInfo } from "../ci.js";
import { headerLine, parseHeader } from "../format.js";
import { buildHistory } from "../history.js";
import { packIndex, unpackIndex } from "../history-cache.js";
import { IndexedManifest } from "../indexed-manifest.js";
import { appendLines, emptyLoaded, indexBytes, type Loaded } from "../load.js";
import { compact, lineValidator, pickRecordFields, serialize } from "../manifest-file.js";
import { indexLazily, missingManifestError, mustExist } from "../open-options.js";
import { checkEvent, checkNewRecord } from "../rules.js";
import type { ManifestState } from "../state.js";
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
} from "../types.js";
import type { LineStore, StoreTip } from "./line-store.js";
import { backoff, type RetryBound } from "./retry.js";
import {
  dropStoreCache,
  readCachedLines,
  readStoreCache,
  type StoreCache,
  type StoreCachePaths,
  storeCachePaths,
  writeStoreCache,
} from "./store-cache.js";

/** What a writer composes on: the tip it read, the hash to chain on, and the index of everything up to it. */
interface Composing {
  prev: string;
  state: ManifestState;
}

/**
 * A manifest kept in a {@link LineStore} (a git branch or PostgreSQL). The whole lineage is read once on open and
 * then only from the last position seen; with `historyCache`, a local cache of the verified lines and their history
 * index (see store-cache.ts) lets a new process read only the rows past the cached position, once the store's line
 * there still hashes as cached and the store's witness says no earlier line changed. A write composes its line on the tip it knows and appends it by
 * compare-and-swap; when another writer got there first it reads what they wrote, composes again (new `prev`,
 * next build number) and retries after a jittered wait, within a bound.
 */
export class StoreManifest extends IndexedManifest implements Manifest {
  readonly path: string;
  // Every line read or written, as newline-terminated bytes; indexes are parsed from them only when first needed.
  private chunks: Buffer[] = [];
  private full: Loaded | undefined;
  // Images and events only, for histories: several times cheaper to build than the full index, as for files.
  private imagesOnly: Loaded | undefined;
  private headerSeen: ManifestHeader | undefined;
  // The hash chain, verified incrementally: lines are fed to it once, when integrity is first asked after they came.
  private verifier = new ChainVerifier();
  private verifiedChunks = 0;
  private lastHash: string | undefined;
  private tip: StoreTip = { count: 0, token: "" };
  // The cached lines not held in `chunks` (which then start at `heldFrom`), until a full index needs them.
  private base: StoreCache | undefined;
  private heldFrom = { count: 0, bytes: 0 };
  // What the cache files hold now (undefined: nothing usable, so a save writes them anew).
  private cacheCovers: { count: number; bytes: number } | undefined;
  // The store's witness of its first `count` lines, taken right after reading them.
  private witnessed: { count: number; value: string } | undefined;
  private readonly cachePaths: StoreCachePaths | undefined;

  private constructor(
    readonly store: LineStore,
    private readonly options: OpenOptions,
    private readonly bound: RetryBound,
  ) {
    super();
    this.path = store.display;
    if (options.historyCache)
      this.cachePaths = storeCachePaths(identityOf(store, options.env), options.env ?? process.env);
  }

  /** Reads the whole lineage from the store. */
  static async open(store: LineStore, options: OpenOptions = {}): Promise<StoreManifest> {
    const manifest = new StoreManifest(store, options, {
      timeoutMs: options.lockTimeoutMs ?? 60_000,
      refusals: 4,
    });
    if (!(await manifest.openFromCache())) await manifest.readAll();
    if (manifest.header() === undefined && mustExist(options)) throw missingManifestError(manifest.path);
    if (!indexLazily(options)) await manifest.indexAll();
    return manifest;
  }

  header(): ManifestHeader | undefined {
    return this.headerSeen;
  }

  history(options?: HistoryOptions): LineageHistory[] {
    if (options?.includeLayers || this.full) return buildHistory(this.state(), options);
    if (!this.imagesOnly) {
      this.imagesOnly = this.cachedIndex() ?? emptyLoaded();
      appendLines(this.imagesOnly, Buffer.concat(this.chunks), this.path, { skipLayers: true });
      this.warnUnreadable(this.imagesOnly.state, this.options.onWarning);
      this.saveCache();
    }
    return buildHistory(this.imagesOnly.state, options);
  }

  integrity(): Integrity {
    for (; this.verifiedChunks < this.chunks.length; this.verifiedChunks++) {
      const chunk = this.chunks[this.verifiedChunks] as Buffer;
      for (let start = 0; start < chunk.length; ) {
        const end = chunk.indexOf(0x0a, start);
        this.verifier.push(chunk.subarray(start, end));
        start = end + 1;
      }
    }
    const problem = this.verifier.finish();
    return problem ? { intact: false, problem } : { intact: true };
  }

  // Stores hold whole lines only: a write is a row or a commit, never half of one.
  tornTail(): TornTail | undefined {
    return undefined;
  }

  async reload(): Promise<void> {
    await this.readAll();
    if (!indexLazily(this.options)) await this.indexAll();
  }

  // Reads every line from the store again, dropping every index.
  private async readAll(): Promise<void> {
    const read = await this.store.read(0);
    this.chunks = [];
    this.full = undefined;
    this.imagesOnly = undefined;
    this.headerSeen = undefined;
    this.verifier = new ChainVerifier();
    this.verifiedChunks = 0;
    this.lastHash = undefined;
    this.tip = { count: 0, token: "" };
    this.base = undefined;
    this.heldFrom = { count: 0, bytes: 0 };
    this.cacheCovers = undefined;
    this.take(read.lines, read.tip);
    await this.witness();
  }

  async register(input: NewRecord): Promise<ImageRecord> {
    await this.holdCachedLines();
    this.refuseBrokenChain();
    checkNewRecord(input);
    const validate = await lineValidator();
    const createdAt = this.now();
    return (await this.append(({ prev, state }) => {
      const parent = "record" in input.parent ? input.parent.record : undefined;
      if (parent !== undefined && !state.byId.has(parent)) {
        throw new BakeError({
          code: "record-invalid",
          message: `cannot register ${input.lineage}: its parent ${parent} is not in ${this.path}`,
        });
      }
      const builds = (state.imagesByLineage.get(input.lineage) ?? []).map((image) => image.build ?? 0);
      const body = compact({
        type: "record",
        ...pickRecordFields(input),
        ...(input.kind === "image" ? { build: Math.max(0, ...builds) + 1, layers: input.layers ?? [] } : {}),
        createdAt,
        bakeVersion: bakeVersion(),
        ci: ciInfo(this.options.env ?? process.env),
        prev,
      });
      return serialize(body, "record", validate);
    })) as ImageRecord;
  }

  async appendEvent(input: NewEvent): Promise<ManifestEvent> {
    await this.holdCachedLines();
    // Before the rules, which would judge the event by lines that may have been edited.
    this.refuseBrokenChain();
    checkEvent(this.state(), input);
    const validate = await lineValidator();
    const at = this.now();
    return (await this.append(({ prev, state }) => {
      const target = checkEvent(state, input);
      const body = compact({
        type: "event",
        ...input,
        lineage: target.lineage,
        at,
        bakeVersion: bakeVersion(),
        ci: ciInfo(this.options.env ?? process.env),
        prev,
      });
      return serialize(body, "event", validate);
    })) as ManifestEvent;
  }

  /** Lines the store held at the last read or write (header included). */
  lineCount(): number {
    return this.tip.count;
  }

  // The compare-and-swap loop: catch up, compose on the tip, append; on a lost race read again and recompose.
  private async append(
    compose: (context: Composing) => { line: string; value: ImageRecord | ManifestEvent },
  ): Promise<ImageRecord | ManifestEvent> {
    const deadline = Date.now() + this.bound.timeoutMs;
    let refusals = 0;
    let lastReason = "";
    for (let attempt = 0; ; attempt++) {
      // Catch up first: a long build composes on a tip read minutes ago, and a stale tip only buys a lost race.
      await this.catchUp();
      // What others appended since is trusted no more than what was there: the chain is checked on every attempt.
      this.refuseBrokenChain();
      this.refuseDamaged();
      const header =
        this.tip.count === 0 ? [headerLine({ createdAt: this.now(), bakeVersion: bakeVersion() })] : [];
      const prev = header[0] !== undefined ? digest(header[0]) : (this.lastHash as string);
      const composed = compose({ prev, state: this.state() });
      const lines = [...header, composed.line];
      const outcome = await this.store.append(lines, this.tip);
      if (outcome.ok) {
        this.take(lines, outcome.tip);
        // A runner's first write leaves a cache for the next process; later writes leave it a few lines behind
        // (the next reader fetches those), rather than re-packing the index after each append.
        if (this.cachePaths && !this.cacheCovers) {
          await this.witness();
          this.saveCache();
        }
        return composed.value;
      }
      lastReason = outcome.message;
      if (outcome.reason === "refused" && ++refusals >= this.bound.refusals) {
        throw new BakeError({
          code: "store-write-refused",
          message: `${this.path} refused the write ${refusals} times: ${outcome.message}`,
          hint: "the store is up but says no: a protected branch, a server-side hook or a read-only role; let bake's CI identity write to it",
        });
      }
      if (Date.now() >= deadline) {
        throw new BakeError({
          code: "store-busy",
          message: `gave up writing to ${this.path} after ${attempt + 1} attempts in ${Math.round(this.bound.timeoutMs / 1000)}s: ${lastReason}`,
          hint: "other writers kept winning the race; run the command again (nothing was written)",
        });
      }
      await backoff(attempt);
    }
  }

  private async catchUp(): Promise<void> {
    const read = await this.store.read(this.tip.count);
    if (read.tip.count < this.tip.count) {
      throw new BakeError({
        code: "store-rewound",
        message: `${this.path} now holds ${read.tip.count} lines, fewer than the ${this.tip.count} bake read before; lines were removed`,
        hint: "a lineage is append-only: restore the store (the branch or the table) from a backup, then run `bake fsck --manifest ...`",
      });
    }
    this.take(read.lines, read.tip);
  }

  // Adds lines read or written: to the bytes, and to the full index if it was built.
  private take(lines: readonly string[], tip: StoreTip): void {
    if (lines.length > 0) {
      if (this.tip.count === 0) this.headerSeen = parseHeader(lines[0] as string, this.path);
      const bytes = Buffer.from(lines.map((line) => `${line}\n`).join(""), "utf8");
      this.chunks.push(bytes);
      if (this.full) appendLines(this.full, bytes, this.path);
      this.imagesOnly = undefined;
      this.lastHash = digest(lines[lines.length - 1] as string);
    }
    this.tip = tip;
  }

  // The full index, built without holding up the event loop (see indexBytes), verifying the chain on the way when
  // the manifest was opened with `verify`.
  private async indexAll(): Promise<void> {
    await this.holdCachedLines();
    const verifier = this.options.verify ? new ChainVerifier() : undefined;
    const full = emptyLoaded();
    await indexBytes(full, Buffer.concat(this.chunks), this.path, verifier ? { verifier } : {});
    this.full = full;
    this.warnUnreadable(full.state, this.options.onWarning);
    if (verifier) {
      this.verifier = verifier;
      this.verifiedChunks = this.chunks.length;
    }
  }

  // Built on open, asynchronously (indexAll), unless opened `lazy` (the CLI): then on first use, synchronously.
  protected override state(): ManifestState {
    if (!this.full) {
      this.mergeBase();
      this.full = emptyLoaded();
      appendLines(this.full, Buffer.concat(this.chunks), this.path);
      this.warnUnreadable(this.full.state, this.options.onWarning);
    }
    return this.full.state;
  }

  // Starts from the local cache: reads the store from the cached last line on, and trusts the cache only if that
  // line still hashes as cached and the store's witness (git: the cached commit is an ancestor of the tip;
  // PostgreSQL: no row before it was rewritten) holds. Anything else (no cache, damage, another store): false.
  private async openFromCache(): Promise<boolean> {
    if (!this.cachePaths) return false;
    const cache = readStoreCache(this.cachePaths);
    if (!cache) return false;
    const read = await this.store.read(cache.count - 1);
    const first = read.lines[0];
    if (read.tip.count < cache.count || first === undefined || digest(first) !== cache.lastLineHash)
      return false;
    if (this.store.stillHolds) {
      if (cache.witness === undefined || !(await this.store.stillHolds(cache.witness, cache.count)))
        return false;
    }
    this.base = cache;
    this.heldFrom = { count: cache.count, bytes: cache.linesBytes };
    this.cacheCovers = { count: cache.count, bytes: cache.linesBytes };
    this.headerSeen = cache.header;
    // The cached lines were verified when cached; the chain resumes at their last line.
    this.verifier = new ChainVerifier({ lines: cache.count, lastLineHash: cache.lastLineHash });
    this.lastHash = cache.lastLineHash;
    this.tip = { count: cache.count, token: "" };
    this.take(read.lines.slice(1), read.tip);
    if (read.tip.count === cache.count && cache.witness !== undefined) {
      this.witnessed = { count: cache.count, value: cache.witness };
    } else {
      await this.witness();
    }
    return true;
  }

  private async witness(): Promise<void> {
    this.witnessed =
      this.cachePaths && this.store.witness && this.tip.count > 0
        ? { count: this.tip.count, value: await this.store.witness(this.tip) }
        : undefined;
  }

  // The images-only index of the cached lines, as the start of a history's index.
  private cachedIndex(): Loaded | undefined {
    const base = this.base;
    if (!base) return undefined;
    try {
      return { header: base.header, state: unpackIndex(base.index), completeEnd: 0, lineCount: base.count };
    } catch {
      // An index of the right version but the wrong shape: build it from the lines instead.
      this.mergeBase();
      return undefined;
    }
  }

  // Before a write: the cached lines the full index is built from must be the store's, or the cache is dropped and
  // the store read again in full (asynchronously, which a reader's synchronous index cannot do).
  private async holdCachedLines(): Promise<void> {
    if (!this.base) return;
    try {
      this.mergeBase();
    } catch (error) {
      if (!(error instanceof BakeError) || error.code !== "store-cache-damaged") throw error;
      await this.reload();
    }
  }

  // Reads the cached lines into `chunks`, re-verifying their chain: with the last line's hash checked against the
  // store on open, that proves every cached line is the store's, byte for byte.
  private mergeBase(): void {
    const base = this.base;
    if (!base || !this.cachePaths) return;
    const bytes = readCachedLines(this.cachePaths, base.linesBytes);
    const verifier = new ChainVerifier();
    let intact = bytes !== undefined && bytes[bytes.length - 1] === 0x0a;
    for (let start = 0; intact && bytes && start < bytes.length; ) {
      const end = bytes.indexOf(0x0a, start);
      if (verifier.push(bytes.subarray(start, end))) intact = false;
      start = end + 1;
    }
    const point = verifier.point;
    if (
      !intact ||
      verifier.finish() ||
      point.lines !== base.count ||
      point.lastLineHash !== base.lastLineHash
    ) {
      dropStoreCache(this.cachePaths);
      this.base = undefined;
      this.cacheCovers = undefined;
      throw new BakeError({
        code: "store-cache-damaged",
        message: `the local cache of ${this.path} (${this.cachePaths.lines}) does not hold the store's lines; it was removed`,
        hint: "run the command again: it reads the store in full (a cache is never the source of truth)",
      });
    }
    this.chunks.unshift(bytes as Buffer);
    this.verifiedChunks += 1;
    this.heldFrom = { count: 0, bytes: 0 };
    this.base = undefined;
  }

  // Records the cache, best effort, when there is more to cache than it holds: only a verified chain, only with
  // the store's witness of exactly these lines, and with the images-only index of all of them.
  private saveCache(): void {
    const paths = this.cachePaths;
    const header = this.headerSeen;
    if (!paths || !header || this.tip.count === 0 || this.lastHash === undefined) return;
    if (this.cacheCovers && this.cacheCovers.count >= this.tip.count) return;
    if (this.store.witness && this.witnessed?.count !== this.tip.count) return;
    if (!this.integrity().intact) return;
    const index = this.imagesOnly
      ? packIndex(this.imagesOnly.state)
      : this.full
        ? packIndex(this.full.state, { skipLayers: true })
        : undefined;
    if (!index) return;
    const held = Buffer.concat(this.chunks);
    const total = this.heldFrom.bytes + held.length;
    let lines: { offset: number; bytes: Buffer };
    if (this.cacheCovers && this.cacheCovers.bytes >= this.heldFrom.bytes) {
      lines = {
        offset: this.cacheCovers.bytes,
        bytes: held.subarray(this.cacheCovers.bytes - this.heldFrom.bytes),
      };
    } else if (this.heldFrom.bytes === 0) {
      lines = { offset: 0, bytes: held };
    } else {
      return;
    }
    writeStoreCache(
      paths,
      {
        count: this.tip.count,
        lastLineHash: this.lastHash,
        ...(this.witnessed ? { witness: this.witnessed.value } : {}),
        header,
        linesBytes: total,
        index,
      },
      lines,
    );
    this.cacheCovers = { count: this.tip.count, bytes: total };
  }

  // The manifest's own refusal of a broken chain, with a hint for a store (there is no file to `git diff`).
  private refuseBrokenChain(): void {
    const { problem } = this.integrity();
    if (!problem) return;
    const error = chainBrokenError(this.path, problem);
    throw new BakeError({
      code: error.code,
      message: error.message,
      hint: `run \`bake fsck --manifest ...\` to see every problem, then restore line ${problem.line} as bake wrote it from a backup (or, for git, the branch's history); bake never repairs a store itself`,
    });
  }

  private refuseDamaged(): void {
    const unreadable = this.state().unreadable[0];
    if (unreadable) {
      throw new BakeError({
        code: "manifest-damaged",
        message: `${this.path} line ${unreadable.line} cannot be read (${unreadable.message}); bake will not write to a damaged manifest`,
        hint: "run `bake fsck --manifest ...` to see every problem and restore the store before building again",
      });
    }
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }
}

// Who a cache is of: the location without its password, and for PostgreSQL what the PG* variables fill in.
function identityOf(store: LineStore, env: OpenOptions["env"] = process.env): string {
  const parts = [store.kind, store.display];
  if (store.kind === "postgres") {
    for (const name of ["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"]) parts.push(env[name] ?? "");
  }
  return parts.join("\n");
}
