/**
 * The normalised recipe: what validation hands to the compiler. The on-disk shape (`WrittenRecipe`,
 * derived from `schemas/recipe.schema.json`) lives beside the loader; this shape has defaults applied and
 * every step tagged with its `kind`. Strings may still hold `${vars.NAME}`: the compiler interpolates them.
 */
export interface Recipe {
  apiVersion: "bake/v1";
  /** The lineage: lowercase, usable as a GCE image-name prefix. */
  name: string;
  /** The app version this image carries; may interpolate variables. */
  version: string;
  description?: string;
  /** The parent as written: a lineage reference or an external image reference. */
  from: string;
  target: TargetSpec;
  vars: Record<string, VarSpec>;
  layers: LayerSpec[];
  verify: CheckSpec[];
  labels: Record<string, string>;
  /** How a container from the image runs, over the parent image's config; absent when the recipe sets none. */
  config?: ImageConfigSpec;
  /** Registries to push the verified, registered image to; absent when the recipe names none. */
  publish?: PublishSpec[];
  /** Keep this many newest images of the lineage; drivers may deprecate older ones. */
  retain?: { keep: number };
  /** Checks each new instance must pass during `bake rollout --recipe`; absent when the recipe names none. */
  rollout?: { checks: RolloutCheckSpec[] };
  /** Where the recipe came from: `file` is absolute and `root` is its directory. */
  source: { file: string; root: string };
}

/**
 * The runtime part of an OCI image config, as a recipe sets it. Every field is optional: what is left out is
 * inherited from the parent image. Drivers apply it as a Dockerfile would (a new `entrypoint` resets an inherited
 * `cmd`; `env` and `labels` merge key by key).
 */
export interface ImageConfigSpec {
  entrypoint?: string[];
  cmd?: string[];
  env?: Record<string, string>;
  workdir?: string;
  user?: string;
  /** `PORT/tcp`, `PORT/udp` or `PORT/sctp`. */
  exposedPorts?: string[];
  /** A signal name such as `SIGTERM`. */
  stopSignal?: string;
  labels?: Record<string, string>;
}

/** One push of the image after registration. Strings may hold `${vars.NAME}`; `password` names a secret variable. */
export interface PublishSpec {
  /** `docker://REGISTRY/REPO:TAG`. */
  to: string;
  username?: string;
  password?: string;
}

/** The build target: a driver id and that driver's options, which the driver's `prepare()` validates. */
export interface TargetSpec {
  /** The driver id. @default "local" (also when the written `target` names no driver) */
  driver: string;
  options: Record<string, unknown>;
}

export type VarType = "string" | "number" | "boolean";
export type VarValue = string | number | boolean;

export interface VarSpec {
  type: VarType;
  description?: string;
  default?: VarValue;
  enum?: VarValue[];
  /** A regular expression a string value must match in full. */
  pattern?: string;
  /** Secret values never appear in plans, logs, manifests or templates. */
  secret: boolean;
}

export interface LayerSpec {
  name: string;
  steps: StepSpec[];
}

export type StepSpec = RunStepSpec | CopyStepSpec | FileStepSpec;

export interface RunStepSpec {
  kind: "run";
  /** A shell script (run by `/bin/sh -c`) ... */
  script?: string;
  /** ... or an argv array executed without a shell. Exactly one of the two is set. */
  argv?: string[];
  env: Record<string, string>;
  workdir?: string;
  user?: string;
  timeoutMs?: number;
}

export interface CopyStepSpec {
  kind: "copy";
  /** Relative to the recipe's directory; never escapes it. */
  from: string;
  /** Absolute path in the image. */
  to: string;
  mode?: number;
  /** `user`, `user:group`, or numeric `uid:gid`. */
  owner?: string;
}

export interface FileStepSpec {
  kind: "file";
  path: string;
  content: string;
  mode?: number;
  owner?: string;
}

export interface CheckTiming {
  /** Extra attempts after the first failure. @default 0 */
  retries: number;
  /** Pause between attempts. @default 1000 */
  intervalMs: number;
  /** Limit for one attempt. @default 30000 */
  timeoutMs: number;
}

export type CheckSpec = (RunCheckSpec | FileCheckSpec | HttpCheckSpec) & CheckTiming & { name: string };

export interface RunCheckSpec {
  kind: "run";
  script?: string;
  argv?: string[];
  env: Record<string, string>;
  user?: string;
  workdir?: string;
}

export interface FileCheckSpec {
  kind: "file";
  path: string;
  /** @default true */
  exists: boolean;
  contains?: string;
  mode?: number;
}

/**
 * A rollout check: a verify `http` check (same `status`, `bodyContains` and timing) sent by bake to
 * `http://<instance internal address>:<port><path>`.
 */
export type RolloutCheckSpec = Omit<HttpCheckSpec, "url"> & { port: number; path: string } & CheckTiming & {
    name: string;
  };

export interface HttpCheckSpec {
  kind: "http";
  url: string;
  /** @default 200 */
  status: number;
  bodyContains?: string;
}
