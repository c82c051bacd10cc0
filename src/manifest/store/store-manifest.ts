import { BakeError } from "../../errors.js";
import { bakeVersion } from "../../version.js";
import type { Ancestry, Manifest, OpenOptions } from "../api.js";
import { chainBrokenError } from "../append.js";
import { ChainVerifier } from "../chain.js";
import { ciInfo } from "../ci.js";
import { headerLine, parseHeader } from "../format.js";
import { digest } from "../hash.js";
import { buildHistory } from "../history.js";
import { appendLines, type Loaded } from "../load.js";
import { compact, lineValidator, pickRecordFields, serialize } from "../manifest-file.js";
import { resolveRef } from "../resolve.js";
import { checkEvent, checkNewRecord } from "../rules.js";
import { ManifestState } from "../state.js";
import type {
  HistoryOptions,
  ImageRecord,
  ImageStatus,
  Integrity,
  LineageHistory,
  ManifestEvent,
  ManifestHeader,
  NewEvent,
  NewRecord,
  Observation,
  TornTail,
} from "../types.js";
import type { LineStore, StoreTip } from "./line-store.js";
import { backoff, type RetryBound } from "./retry.js";

/** What a writer composes on: the tip it read, the hash to chain on, and the index of everything up to it. */
interface Composing {
  prev: string;
  state: ManifestState;
}

/**
 * A manifest kept in a {@link LineStore} (a git branch or PostgreSQL). The whole lineage is read once on open and
 * then only from the last position seen. A write composes its line on the tip it knows and appends it by
 * compare-and-swap; when another writer got there first it reads what they wrote, composes again (new `prev`,
 * next build number) and retries after a jittered wait, within a bound.
 */
export class StoreManifest implements Manifest {
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
  private lastLine: string | undefined;
  private tip: StoreTip = { count: 0, token: "" };

  private constructor(
    readonly store: LineStore,
    private readonly options: OpenOptions,
    private readonly bound: RetryBound,
  ) {
    this.path = store.display;
  }

  /** Reads the whole lineage from the store. */
  static async open(store: LineStore, options: OpenOptions = {}): Promise<StoreManifest> {
    const manifest = new StoreManifest(store, options, {
      timeoutMs: options.lockTimeoutMs ?? 60_000,
      refusals: 4,
    });
    await manifest.reload();
    return manifest;
  }

  header(): ManifestHeader | undefined {
    return this.headerSeen;
  }

  records(): readonly ImageRecord[] {
    return this.state().records;
  }

  events(): readonly ManifestEvent[] {
    return this.state().events;
  }

  get(id: string): ImageRecord | undefined {
    return this.state().byId.get(id);
  }

  lineOf(id: string): number | undefined {
    return this.state().lines.get(id);
  }

  resolve(ref: string): ImageRecord {
    return resolveRef(this.state(), this.path, ref);
  }

  findLayer(cacheKey: string, driver: string): ImageRecord | undefined {
    return this.state().findLayer(cacheKey, driver);
  }

  ancestry(id: string): Ancestry {
    const chain = this.state().chain(this.known(id).id);
    const bottom = chain[chain.length - 1] as ImageRecord;
    return "external" in bottom.parent ? { chain, base: bottom.parent.external } : { chain };
  }

  descendants(id: string): ImageRecord[] {
    return this.state().descendants(this.known(id).id);
  }

  status(id: string): ImageStatus {
    return this.state().status(this.known(id).id);
  }

  history(options?: HistoryOptions): LineageHistory[] {
    if (options?.includeLayers || this.full) return buildHistory(this.state(), options);
    if (!this.imagesOnly) {
      this.imagesOnly = emptyLoaded();
      appendLines(this.imagesOnly, Buffer.concat(this.chunks), this.path, { skipLayers: true });
    }
    return buildHistory(this.imagesOnly.state, options);
  }

  observations(id: string): Observation[] {
    return [...(this.state().observed.get(id)?.values() ?? [])];
  }

  server(name: string): Observation | undefined {
    return this.state().servers.get(name);
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
    const read = await this.store.read(0);
    this.chunks = [];
    this.full = undefined;
    this.imagesOnly = undefined;
    this.headerSeen = undefined;
    this.verifier = new ChainVerifier();
    this.verifiedChunks = 0;
    this.lastLine = undefined;
    this.tip = { count: 0, token: "" };
    this.take(read.lines, read.tip);
  }

  async register(input: NewRecord): Promise<ImageRecord> {
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
      const prev = digest((header[0] ?? this.lastLine) as string);
      const composed = compose({ prev, state: this.state() });
      const lines = [...header, composed.line];
      const outcome = await this.store.append(lines, this.tip);
      if (outcome.ok) {
        this.take(lines, outcome.tip);
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
      this.lastLine = lines[lines.length - 1];
    }
    this.tip = tip;
  }

  private state(): ManifestState {
    if (!this.full) {
      this.full = emptyLoaded();
      appendLines(this.full, Buffer.concat(this.chunks), this.path);
    }
    return this.full.state;
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

  private known(id: string): ImageRecord {
    const record = this.state().byId.get(id);
    if (!record) throw new BakeError({ code: "ref-not-found", message: `no record has the id ${id}` });
    return record;
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }
}

function emptyLoaded(): Loaded {
  return { state: new ManifestState(), completeEnd: 0, lineCount: 0 };
}
