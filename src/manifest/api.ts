import type {
  ExternalBase,
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
  Publication,
  TornTail,
} from "./types.js";

/** Options for {@link openManifest}. */
export interface OpenOptions {
  /** Create the file (with its header) when it does not exist, as `bake build` does. @default false */
  create?: boolean;
  /**
   * Throw a `manifest-missing` BakeError when there is no manifest at the location (no file, an empty file, or a store
   * with no lines). With `false`, a missing manifest reads as empty: no header, records or events.
   * @default true, unless `create` is set (then a missing manifest is created, not an error)
   */
  mustExist?: boolean;
  /**
   * Check every line's hash and the chain of `prev` hashes while reading, and throw a `manifest-chain-broken`
   * BakeError naming the first line that breaks it, instead of reading what an edited manifest says. Without it,
   * reads show what is there and {@link Manifest.integrity} says whether to trust it. Implies reading every line on
   * open (not `lazy`); {@link Manifest.reload} verifies again. @default false
   */
  verify?: boolean;
  /**
   * Build the index on first use, synchronously, instead of while opening, asynchronously. The CLI uses it: a
   * one-shot command has nothing else to run meanwhile, `bake build` appends without reading the whole file, and
   * `bake history` reads a cheaper images-only index (or `historyCache`). A long-running program (a server, an
   * editor) should leave it off: opening then reads and indexes the file in batches, yielding to the event loop
   * between them, so timers and I/O keep running even for a manifest of hundreds of MB. `verify` always reads on
   * open. @default false, or true when `historyCache` is set (the cache serves only lazy reads)
   */
  lazy?: boolean;
  /** Where CI run information comes from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** How long a write waits for another process's lock before failing. @default 15000 */
  lockTimeoutMs?: number;
  /** The clock, for tests. @default () => new Date() */
  now?: () => Date;
  /** Told about things worth a line on stderr, such as a torn last line moved aside before a write. */
  onWarning?: (message: string) => void;
  /**
   * Serve image histories from a derived cache beside the manifest (`.bake-cache/<name>.history.json`), parsing
   * only the lines appended since it was written, and refresh it after each such read. For a git or PostgreSQL
   * store, keep a verified cache of its lines and history index in the user's cache directory instead, so only rows
   * past the cached position are fetched (see store/store-cache.ts). Implies `lazy` unless `lazy: false` is given.
   * @default false
   */
  historyCache?: boolean;
}

/** The chain of an image down to its external base. */
export interface Ancestry {
  /** The record itself first, then its parent, and so on. */
  chain: readonly ImageRecord[];
  /** The external base at the bottom, when the chain ends in one. */
  base?: ExternalBase;
}

/**
 * An open lineage manifest. Reads are served from an index built when it was opened (or on first use, when opened
 * `lazy`); writes append under a cross-process lock and catch up with what other processes appended since.
 *
 * Records, events and observations are handed out frozen (deeply, once, when their line is indexed; their types
 * are `DeepReadonly`): changing one throws in strict mode, and never changes what later reads return.
 * Copy one (`structuredClone(record)`) to get a value to edit.
 */
export interface Manifest {
  readonly path: string;
  /** The header, or undefined when there is no manifest yet (opened with `create` or `mustExist: false`). */
  header(): ManifestHeader | undefined;
  /** Every record (images and layers), in file order. */
  records(): readonly ImageRecord[];
  /** Every event, in file order. */
  events(): readonly ManifestEvent[];
  /** The record with exactly this id. */
  get(id: string): ImageRecord | undefined;
  /** The 1-based line of a record or event. */
  lineOf(id: string): number | undefined;
  /**
   * A full id, a unique id prefix (at least 4 hex digits), `lineage` (its newest active image), `lineage@channel`,
   * `lineage@version` or `lineage#build`. Throws a BakeError that says why otherwise (ambiguous prefixes list the candidates).
   */
  resolve(ref: string): ImageRecord;
  /** The newest layer record with this cache key made by this driver. */
  findLayer(cacheKey: string, driver: string): ImageRecord | undefined;
  /** Appends a record: assigns its build number (images), id, creation time, bake version and CI info. */
  register(input: NewRecord): Promise<ImageRecord>;
  /** Appends an event. The target must be a record of this manifest. */
  appendEvent(input: NewEvent): Promise<ManifestEvent>;
  /**
   * The record, its parent, and so on down to the external base. `ref` is anything {@link Manifest.resolve}
   * accepts (a full id, a short id, `web@stable`, `web#12`); it throws the same BakeError when it names nothing.
   */
  ancestry(ref: string): Ancestry;
  /** Every record built on the one `ref` names (as {@link Manifest.resolve} reads it), directly or not, in file order. */
  descendants(ref: string): ImageRecord[];
  /** Status of the record `ref` names (as {@link Manifest.resolve} reads it): derived from the events, with the reason and the channels pointing at it. */
  status(ref: string): ImageStatus;
  /** The lineages and their records, newest first; layers only when asked. */
  history(options?: HistoryOptions): LineageHistory[];
  /** The newest observation of each server running this record. */
  observations(id: string): Observation[];
  /** The newest observation of a server, if any event names it. */
  server(name: string): Observation | undefined;
  /** Every push of this record to a registry (its `publish` events), oldest first. */
  publications(id: string): Publication[];
  /** The pushes whose registry manifest digest is exactly this one, oldest first. */
  published(digest: string): Publication[];
  /**
   * Whether every line is the one bake wrote, as far as the hash chain tells: readers show what is there either way,
   * and should warn when it is not intact; writers refuse to append to a broken chain. Cheap when the manifest is
   * unchanged since bake last verified or wrote it; otherwise every line is re-hashed once.
   */
  integrity(): Integrity;
  /** The bytes after the last newline, if they are not a whole line (a crash mid-write); a whole line is read as any other. */
  tornTail(): TornTail | undefined;
  /** Re-reads the file from disk (asynchronously, verifying again when opened with `verify`). */
  reload(): Promise<void>;
}
