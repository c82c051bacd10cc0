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
  /** Create the file (with its header) when it does not exist. Otherwise a missing file reads as empty. @default false */
  create?: boolean;
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
   * past the cached position are fetched (see store/store-cache.ts). @default false
   */
  historyCache?: boolean;
}

/** The chain of an image down to its external base. */
export interface Ancestry {
  /** The record itself first, then its parent, and so on. */
  chain: ImageRecord[];
  /** The external base at the bottom, when the chain ends in one. */
  base?: ExternalBase;
}

/**
 * An open lineage manifest. Reads are served from an index built lazily on first use; writes append under a
 * cross-process lock and catch up with what other processes appended since.
 */
export interface Manifest {
  readonly path: string;
  /** The header, or undefined when the file does not exist yet. */
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
  /** The record, its parent, and so on down to the external base. */
  ancestry(id: string): Ancestry;
  /** Every record built on this one, directly or not, in file order. */
  descendants(id: string): ImageRecord[];
  /** Status derived from the events, with the reason and the channels pointing at it. */
  status(id: string): ImageStatus;
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
  /** A last line without its newline, if the file ends in one (a crash mid-write). */
  tornTail(): TornTail | undefined;
  /** Re-reads the file from disk. */
  reload(): Promise<void>;
}
