/**
 * The recipe as written on disk (`bake/v1`), before defaults and normalisation. It mirrors
 * `schemas/recipe.schema.json` field for field; `test/recipe/written.test.ts` fails when the two drift.
 */
export interface WrittenRecipe {
  apiVersion: "bake/v1";
  name: string;
  /** @default "0.0.0" */
  version?: string;
  description?: string;
  from: string;
  /** @default { driver: "local" } */
  target?: WrittenTarget;
  vars?: Record<string, WrittenVar>;
  layers: WrittenLayer[];
  verify?: WrittenCheck[];
  labels?: Record<string, string>;
  config?: WrittenImageConfig;
  publish?: WrittenPublish[];
  retain?: { keep: number };
  rollout?: WrittenRollout;
}

/** How `bake rollout --recipe` gates each new instance. */
export interface WrittenRollout {
  checks: WrittenRolloutCheck[];
}

/**
 * An `http` check bake sends to each new instance's internal address during a rollout: the verify check's
 * `status` and `bodyContains`, and its timing, with `port` and `path` in place of a `url`.
 */
export interface WrittenRolloutCheck extends WrittenCheckTiming {
  http: { port: number; path: string; status?: number; bodyContains?: string };
}

/** A push after registration: `docker://REGISTRY/REPO:TAG`, or that with the credentials to push with. */
export type WrittenPublish = string | { to: string; username?: string; password?: string };

/** How a container from the image runs (an OCI image config's runtime part), over the parent's. */
export interface WrittenImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: Record<string, string>;
  workdir?: string;
  user?: string;
  exposedPorts?: string[];
  stopSignal?: string;
  labels?: Record<string, string>;
}

/** Permission bits: an octal string such as `"0755"` or a number. */
export type WrittenMode = string | number;
/** A duration such as `"500ms"`, `"2s"`, `"1m30s"` or `"1h"`. */
export type WrittenDuration = string;
export type WrittenScalar = string | number | boolean;

export type WrittenTarget = WrittenLocalTarget | WrittenPackerTarget | WrittenGceTarget;

/** The local driver's options. `driver` may be left out: `local` is the default driver. */
export interface WrittenLocalTarget {
  /** @default "local" */
  driver?: "local";
  /** @default "host" */
  network?: "host" | "none";
  /** `os/arch[/variant]` picked from a `docker://` base that is a multi-platform index. @default this machine's */
  platform?: string;
}

export interface WrittenPackerTarget {
  driver: "packer";
  builder: string;
  /** Packer source options, passed through. */
  source?: Record<string, unknown>;
  /** The source option carrying the parent image, for builders bake does not know. */
  parentField?: string;
  /** Path of the packer binary. @default $BAKE_PACKER, else `packer` on PATH */
  packerPath?: string;
}

export interface WrittenGceTarget {
  driver: "gce";
  project: string;
  zone: string;
  machineType?: string;
  network?: string;
  subnetwork?: string;
  serviceAccount?: string;
  diskSizeGb?: number;
  diskType?: string;
  imageFamily?: string;
  storageLocations?: string[];
  labels?: Record<string, string>;
  endpoint?: string;
  /** @default "30m" */
  buildTimeout?: string;
  /** @default "15m" */
  verifyTimeout?: string;
  maxRunDuration?: string;
  /** @default "2s" */
  pollInterval?: string;
  /** @default "1s" */
  retryDelay?: string;
  /** @default 4 */
  retries?: number;
  /** @default true */
  externalIp?: boolean;
}

export interface WrittenVar {
  /** @default "string" */
  type?: "string" | "number" | "boolean";
  default?: WrittenScalar;
  enum?: WrittenScalar[];
  pattern?: string;
  /** @default false */
  secret?: boolean;
  description?: string;
}

export interface WrittenLayer {
  name: string;
  steps: WrittenStep[];
}

export type WrittenStep = WrittenRunStep | WrittenCopyStep | WrittenFileStep;

export interface WrittenRunStep {
  run: string | string[];
  env?: Record<string, WrittenScalar>;
  workdir?: string;
  user?: string;
  timeout?: WrittenDuration;
}

export interface WrittenCopyStep {
  copy: { from: string; to: string; mode?: WrittenMode; owner?: string };
}

export interface WrittenFileStep {
  file: { path: string; content: string; mode?: WrittenMode; owner?: string };
}

/** Fields every check may have. */
export interface WrittenCheckTiming {
  name?: string;
  /** @default 0 */
  retries?: number;
  /** @default "1s" */
  interval?: WrittenDuration;
  /** @default "30s" */
  timeout?: WrittenDuration;
}

export type WrittenCheck = WrittenRunCheck | WrittenFileCheck | WrittenHttpCheck;

export interface WrittenRunCheck extends WrittenCheckTiming {
  run: string | string[];
  env?: Record<string, WrittenScalar>;
  user?: string;
  workdir?: string;
}

export interface WrittenFileCheck extends WrittenCheckTiming {
  file: { path: string; exists?: boolean; contains?: string; mode?: WrittenMode };
}

export interface WrittenHttpCheck extends WrittenCheckTiming {
  http: { url: string; status?: number; bodyContains?: string };
}
