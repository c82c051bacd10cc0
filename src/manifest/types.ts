import type { CheckResult } from "../plan/types.js";

/** `image` records are finished, verified images; `layer` records are the intermediate image after one layer. */
export type RecordKind = "image" | "layer";

/** An external base image: the reference as written and the exact immutable id it resolved to. */
export interface ExternalBase {
  ref: string;
  id: string;
}

/** What a record was built from: another record of the manifest, or an external base. */
export type ParentLink = { record: string } | { external: ExternalBase };

/** The cache data of one layer. */
export interface LayerEntry {
  name: string;
  /** `sha256:<hex>` over the layer's steps and copied files. */
  inputsDigest: string;
  /** `H(parent key, inputsDigest)`; equal keys mean an identical layer. */
  cacheKey: string;
}

/** One layer of an image record: its cache data, the layer record and the artifact after that layer. */
export interface ImageLayer extends LayerEntry {
  record: string;
  artifact: string;
}

/** The outcome of an image's verify checks. */
export interface VerifySummary {
  ok: boolean;
  checks: CheckResult[];
}

/** The CI run that made a record, as the environment tells it. */
export interface CiInfo {
  /** `github-actions`, `gitlab-ci`, `buildkite`, `circleci` or `ci` (a generic `CI=true`). */
  provider: string;
  runId?: string;
  commit?: string;
}

/** What a caller hands to `Manifest.register`; the manifest adds the id, build number, time, bake version and CI info. */
export interface NewRecord {
  kind: RecordKind;
  lineage: string;
  version: string;
  parent: ParentLink;
  driver: string;
  artifact: string;
  recipeDigest: string;
  /** Layer records: the layer this record captures. */
  layer?: LayerEntry;
  /** Image records: every layer, bottom first. */
  layers?: ImageLayer[];
  verify?: VerifySummary;
  labels?: Record<string, string>;
  /** Driver-specific facts (numeric ids, builder type, ...). */
  details?: Record<string, string>;
  /** The bake run that made it (also on the driver's resources, for `bake gc`). */
  runId?: string;
}

/**
 * A value as a manifest hands it out: read-only all the way down. The manifest freezes each record and event once,
 * when it indexes the line, so a caller can neither change what later reads return nor pay for a copy per read.
 * Copy it (`structuredClone`) to get something to edit.
 */
export type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** A record as stored: one line of the manifest. Never rewritten, and frozen when read. */
export type ImageRecord = DeepReadonly<StoredRecord>;

/** The fields of a stored record; {@link ImageRecord} is its read-only form. */
export interface StoredRecord extends NewRecord {
  type: "record";
  /** `sha256:<hex>` of the canonical JSON of every other field (so it covers `prev` and the parent id). */
  id: string;
  /** `sha256:<hex>` of the previous line's bytes: deleting or reordering lines breaks the chain. */
  prev: string;
  /** Image records: 1, 2, 3, ... within the lineage. Layer records have none. */
  build?: number;
  /** ISO 8601, UTC. */
  createdAt: string;
  bakeVersion: string;
  ci?: CiInfo;
}

/** The events that change an image's status or channels. Their `target` is a full record id. */
export type NewEvent =
  | { event: "promote"; target: string; channel: string }
  | { event: "revoke"; target: string; reason: string; cascade: boolean }
  | { event: "deprecate"; target: string; reason: string }
  | { event: "observe"; target: string; server: string; details?: Record<string, string> }
  | {
      event: "publish";
      target: string;
      /** Where the image was pushed, as given: `docker://REGISTRY/REPO:TAG` (never with credentials). */
      destination: string;
      /** The digest of the manifest the registry holds (`skopeo inspect`, `docker pull` and running containers name it). */
      digest: string;
      details?: Record<string, string>;
    }
  | { event: "rollout"; target: string; rollout: RolloutFacts };

/** How a rollout ended: done, undone by bake, left as it failed (`--no-rollback`), or stopped by SIGINT. */
export type RolloutResult = "succeeded" | "rolled-back" | "failed" | "interrupted";

/** What a `rollout` event records: a group taken from one template (and record) to another, and how it ended. */
export interface RolloutFacts {
  /** The managed group's name, with its zone or region. */
  group: string;
  zone?: string;
  region?: string;
  fromTemplate: string;
  toTemplate: string;
  /** The record the group ran before, when the manifest knows its image. */
  fromRecord?: string;
  result: RolloutResult;
  /** Why it did not succeed. */
  reason?: string;
  /** The group's target size. */
  instances: number;
  startedAt: string;
  endedAt: string;
}

/** The kind of an event. */
export type EventKind = NewEvent["event"];

/** Fields every stored event has. */
export interface EventEnvelope {
  type: "event";
  /** `sha256:<hex>` of the canonical JSON of every other field. */
  id: string;
  prev: string;
  /** The target's lineage, so channels are per lineage. */
  lineage: string;
  /** ISO 8601, UTC. */
  at: string;
  bakeVersion: string;
  ci?: CiInfo;
}

/** An event as stored: one line of the manifest. Frozen when read. */
export type ManifestEvent = DeepReadonly<NewEvent & EventEnvelope>;

/** The first line of every manifest. Frozen when read, like records. */
export interface ManifestHeader {
  readonly bake: "manifest";
  /** `MAJOR.MINOR`. A newer major is refused ("upgrade bake"); older shapes are migrated on read. */
  readonly format: string;
  readonly createdAt: string;
  readonly bakeVersion: string;
}

/** Every line after the header. */
export type ManifestEntry = ImageRecord | ManifestEvent;

/** An image's status, derived from the events. */
export type StatusName = "active" | "deprecated" | "revoked";

export interface ImageStatus {
  status: StatusName;
  /** Why it is deprecated or revoked. */
  reason?: string;
  /** The id of the event that decided the status. */
  event?: string;
  /** Set when the status comes from an ancestor revoked with `--cascade`: that ancestor's id. */
  inheritedFrom?: string;
  /** The channels of its lineage that point at it now. */
  channels: string[];
}

/** The servers last seen running an image. Frozen, like the event it comes from. */
export type Observation = DeepReadonly<{
  server: string;
  target: string;
  at: string;
  details?: Record<string, string>;
}>;

/** Filters for `Manifest.history`. */
export interface HistoryOptions {
  /** Only this lineage. */
  lineage?: string;
  /** Include layer records. @default false */
  includeLayers?: boolean;
}

/** One record in a history listing. */
export interface HistoryEntry {
  id: string;
  kind: RecordKind;
  /** Layer records: the layer's name. */
  layer?: string;
  version: string;
  build?: number;
  createdAt: string;
  status: StatusName;
  reason?: string;
  /** Revoked through this ancestor's cascading revocation. */
  inheritedFrom?: string;
  channels: string[];
  /** The parent record id, or the external base. */
  parent: ParentLink;
  artifact: string;
  driver: string;
}

/** One lineage in a history listing, newest record first. */
export interface LineageHistory {
  lineage: string;
  /** Lineages its images were built from (the tree's edges). */
  parents: string[];
  /** External bases its images were built on, as written. */
  bases: string[];
  entries: HistoryEntry[];
  /** Channels whose image is missing from the manifest (only in a damaged manifest). */
  danglingChannels?: DanglingChannel[];
}

/** Where a manifest's hash chain stops being what bake wrote, and why. */
export interface ChainBreak {
  /** 1-based line number of the line to look at first (the one `bake fsck` also names first). */
  line: number;
  /** `edited` (the line's content no longer hashes to its id, or it is not bake's bytes), `unlinked` (it does not follow the line before it: lines were removed, added or moved). */
  code: "edited" | "unlinked";
  message: string;
}

/** Whether what a manifest holds can be trusted, as far as its hash chain tells. */
export interface Integrity {
  /** Every line is the one bake wrote (unless the whole chain after an edit was forged again). */
  intact: boolean;
  /** The first break, when not intact. */
  problem?: ChainBreak;
}

/** One lineage's channel that points at a record the manifest no longer holds (its line was removed). */
export interface DanglingChannel {
  channel: string;
  target: string;
}

/**
 * Bytes after the last newline that are not a whole line: what a process killed mid-write leaves. (A whole line that
 * only lacks its newline is read like any other.)
 */
export interface TornTail {
  /** 1-based line number. */
  line: number;
  /** Byte offset where the torn line starts. */
  offset: number;
  bytes: number;
}

/** One push of an image to a registry, from its `publish` event. */
export interface Publication {
  target: string;
  destination: string;
  digest: string;
  at: string;
  /** The id of the `publish` event. */
  event: string;
}
