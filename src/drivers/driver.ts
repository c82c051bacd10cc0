import type { PackageInventory } from "../inventory/types.js";
import type { SecretValues } from "../plan/secrets.js";
import type { BuildPlan, CheckResult, ParentSpec, PlannedCheck, PlannedLayer } from "../plan/types.js";
import type { TargetSpec } from "../recipe/types.js";
import type { Reporter } from "./events.js";

/** What `prepare()` found wrong with a target's options. It has no side effects. */
export interface PrepareResult {
  warnings: string[];
  errors: string[];
}

/** Shared by every driver call. */
export interface DriverContext {
  /** The directory commands run from; relative stores and paths resolve against it. */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  reporter: Reporter;
}

/** What a build will need, known as soon as its recipe is loaded (before variables, inputs and compiling). */
export interface PrefetchInput extends Pick<DriverContext, "cwd" | "env"> {
  target: TargetSpec;
  /** The parent, when `from:` names it without variables. */
  parent?: ParentSpec;
}

/** An exact, immutable image, as a driver names it. */
export interface ResolvedImage {
  /** The reference as written (`docker-archive:./base.tar`, `gce:projects/p/global/images/family/f`, ...). */
  ref: string;
  /** The exact immutable id the reference resolved to (a digest, a self link with numeric id, ...). */
  id: string;
  /** Driver-specific facts worth recording (numeric id, Packer version, builder type, ...). */
  details?: Record<string, string>;
  warnings?: string[];
}

/** An image a driver made. `id` is usable as the parent of the next layer or the image to verify. */
export interface Artifact {
  id: string;
  driver: string;
  details?: Record<string, string>;
}

/**
 * What an image records about how it was built (OCI `org.opencontainers.image.*` annotations): the base the plan
 * starts from, as written and as resolved, and the source commit when CI says which. The runner supplies it; drivers
 * never read CI variables or the manifest themselves.
 */
export interface BuildFacts {
  /** The plan's parent reference as written. */
  baseRef: string;
  /** The exact image that reference resolved to. */
  baseId: string;
  /** The source commit (GITHUB_SHA, CI_COMMIT_SHA, ...), when known. */
  revision?: string;
}

export interface BakeLayerInput extends DriverContext {
  plan: BuildPlan;
  /** The image this layer starts from: the resolved parent or the previous layer's artifact. */
  parent: ResolvedImage | Artifact;
  layer: PlannedLayer;
  layerIndex: number;
  /** Labels resources so `bake gc` can find what a killed run left behind. */
  runId: string;
  secrets: SecretValues;
  /** Facts the image records; the runner always sets them (optional for drivers' own tests). */
  facts?: BuildFacts;
  /**
   * Whether the runner records the image's package inventory (`false` with `--no-inventory`, or a lineage store
   * that keeps no side data). A driver that reads it on the builder (packer, gce) then skips that step; absent
   * means yes.
   */
  inventory?: boolean;
}

export interface VerifyInput extends DriverContext {
  plan: BuildPlan;
  image: Artifact;
  checks: PlannedCheck[];
  runId: string;
  secrets: SecretValues;
}

export interface VerifyResult {
  ok: boolean;
  checks: CheckResult[];
}

export interface InventoryInput extends DriverContext {
  plan: BuildPlan;
  image: Artifact;
  runId: string;
}

/** A server and the image it runs, as the driver's platform reports it. */
export interface ServerObservation {
  server: string;
  image: string;
  details?: Record<string, string>;
}

/** Credentials for one push, from variables marked secret: they reach the registry client through a 0600 file only. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface PushInput extends DriverContext {
  /** The artifact id of the image to push (a record's `artifact`). */
  image: string;
  /** `docker://REGISTRY/REPO:TAG`. */
  destination: string;
  /** An auth file to use instead of the usual ones (`REGISTRY_AUTH_FILE`, `~/.config/containers/auth.json`, ...). */
  authFile?: string;
  /** Credentials to push with; they win over every auth file. */
  credentials?: RegistryCredentials;
  /** Target options of the recipe (the local driver's `store`, say), when a recipe is known. */
  options?: Record<string, unknown>;
}

/** What a push put where. */
export interface PushResult {
  destination: string;
  /** The digest of the manifest the registry now holds under the destination. */
  digest: string;
}

/**
 * The Packer-style driver contract. `prepare` validates only; `bake` launches a builder from the parent, runs the
 * layer's steps, captures an image and cleans up in reverse order even on failure or abort.
 * Drivers never see the manifest; lineage reaches them as typed fields of the plan.
 */
export interface Driver {
  readonly id: string;
  /** Checks the target's options and, given the plan, whether the driver can honour all of it (`config`, say). */
  prepare(target: TargetSpec, plan?: Pick<BuildPlan, "config">): PrepareResult;
  /** Turns a floating external reference into an exact immutable id. */
  resolve(parent: Extract<ParentSpec, { kind: "external" }>, ctx: DriverContext): Promise<ResolvedImage>;
  /**
   * Optional: starts, without waiting, the slow lookups a build of this target will make (a tool's version check,
   * the parent's resolution), so that they run while the caller is still planning. Never throws: what failed is
   * reported by `resolve` or `bake`, which use the results.
   */
  prefetch?(input: PrefetchInput): void;
  /**
   * Optional: the lineage manifest at `location` records (or is about to record) this driver's images. Called before
   * a build resolves anything. A driver whose own garbage collection decides what to keep (the local store and
   * `bake gc`) remembers it, so that a collection against another manifest sharing the store keeps those images.
   */
  recordsIn?(location: string, ctx: DriverContext): Promise<void>;
  /** Confirms an image recorded earlier (a lineage parent or a cached layer) still exists. */
  inspect(artifactId: string, ctx: DriverContext): Promise<Artifact | undefined>;
  bake(input: BakeLayerInput): Promise<Artifact>;
  /** Boots a fresh instance from `image` alone and runs the checks. */
  verify(input: VerifyInput): Promise<VerifyResult>;
  servers?(ctx: DriverContext): AsyncIterable<ServerObservation>;
  /** Managed groups of servers, for `bake fleet` and `bake rollout`. Optional: only platforms with groups have it. */
  fleet?: FleetPrimitives;
  /**
   * The packages installed in a verified image, read from its package databases without running anything in it.
   * Optional: the runner records an inventory only for drivers that have one.
   */
  inventory?(input: InventoryInput): Promise<PackageInventory>;
  /**
   * Pushes an image to a registry, keeping its manifest's bytes (so the pushed digest is the artifact id when the
   * registry takes the manifest as it is). Optional: only drivers whose images can live in a registry have it.
   */
  push?(input: PushInput): Promise<PushResult>;
}

/** A managed group of servers: its name and where it lives (exactly one of `zone` and `region`). */
export interface GroupRef {
  name: string;
  zone?: string;
  region?: string;
}

/** An amount of instances: a fixed count, or a percent of the group's target size. */
export type InstanceAmount = { fixed: number } | { percent: number };

/** How a rolling replacement proceeds on the platform. */
export interface UpdatePolicy {
  /** Instances created above the target size while replacing. */
  maxSurge: InstanceAmount;
  /** Instances allowed to be unavailable while replacing. */
  maxUnavailable: InstanceAmount;
}

/** One instance of a group, as the platform reports it. */
export interface GroupMember {
  server: string;
  zone: string;
  /** The name of the template the instance was made from. */
  template: string;
  /** RUNNING, PROVISIONING, STOPPING, ... */
  status: string;
  /** What the group is doing to it: NONE, CREATING, DELETING, VERIFYING, ... */
  action: string;
  /** The group's health check verdict: HEALTHY, UNHEALTHY, TIMEOUT, DRAINING or UNKNOWN. */
  health: string;
  /** The exact image of its boot disk, as artifacts are recorded; empty while it is created. */
  image: string;
  /** The internal address, when it has one. */
  address?: string;
  /** What the platform said went wrong the last time it tried to create the instance (quota, say). */
  errors?: string[];
}

/** A group's state at one moment. */
export interface GroupStatus extends GroupRef {
  /** The template the group is moving to (or is on). */
  template: string;
  targetSize: number;
  /** No instance is being created, deleted or verified. */
  isStable: boolean;
  /** Every instance runs the target template. */
  versionReached: boolean;
  /** The autohealing health check, when the group has one. */
  healthCheck?: string;
  members: GroupMember[];
}

/** An instance template: its name, the image its boot disk is made from, and its instance labels. */
export interface TemplateInfo {
  name: string;
  /** `projects/P/global/images/NAME` */
  image: string;
  labels: Record<string, string>;
  createdAt: string;
}

/**
 * The platform primitives that fleet and rollout orchestration (`src/fleet/`) build on. Drivers map servers and
 * run calls; deciding what a rollout does, and recording it, happens above them.
 */
export interface FleetPrimitives {
  /** Every managed group, zonal and regional, with its members. */
  groups(ctx: DriverContext): Promise<GroupStatus[]>;
  /** One group's state now. */
  group(ref: GroupRef, ctx: DriverContext): Promise<GroupStatus>;
  templates(ctx: DriverContext): Promise<TemplateInfo[]>;
  /**
   * Creates `name` as a copy of the template `from` (machine type, disks, network, metadata, service accounts,
   * labels, tags) whose boot disk is made from `image` (an exact artifact id) and whose labels gain `labels`.
   * Returns the existing template when `name` already holds that image, so a repeated rollout reuses it.
   */
  createTemplate(
    input: { from: string; name: string; image: string; labels: Record<string, string> },
    ctx: DriverContext,
  ): Promise<TemplateInfo>;
  /** Points the group at `template` and starts a proactive rolling replacement under `policy`. */
  startUpdate(
    input: { group: GroupRef; template: string; policy: UpdatePolicy },
    ctx: DriverContext,
  ): Promise<void>;
  /** Deletes a template; one that does not exist counts as deleted. */
  deleteTemplate(name: string, ctx: DriverContext): Promise<void>;
}
