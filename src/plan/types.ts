import type { CheckTiming, ImageConfigSpec, TargetSpec, VarValue } from "../recipe/types.js";

/**
 * A value that carries secret material. The plan keeps only the template (every `${vars.NAME}` in it names a
 * secret variable; non-secret parts are already interpolated). The runner fills it in at execution time with
 * {@link revealPlanString}, so secret values never sit in a plan, a template file or a manifest.
 */
export interface SecretTemplate {
  secret: string;
}

/** A plain string, or a template that needs secret values at execution time. */
export type PlanString = string | SecretTemplate;

/** The compiled, deterministic build plan: the output of `compile()` and of `bake plan --json`. */
export interface BuildPlan {
  apiVersion: "bake/plan/v1";
  lineage: string;
  version: string;
  description?: string;
  recipe: {
    /** The recipe file, relative to `root` (absolute when compiled with `absolutePaths`). */
    file: string;
    /**
     * The directory `copy` sources are relative to: `.` (the recipe's directory, which the runner is given as
     * `root`), or its absolute path when compiled with `absolutePaths`.
     */
    root: string;
    /** sha256 of the recipe's bytes, `sha256:<hex>`. */
    digest: string;
  };
  parent: ParentSpec;
  target: TargetSpec;
  layers: PlannedLayer[];
  verify: PlannedCheck[];
  labels: Record<string, string>;
  /**
   * The image's runtime config (entrypoint, cmd, env, ...), applied over the parent's; absent when the recipe sets
   * none. The last layer's inputs digest covers it, so a config-only change makes a new image.
   */
  config?: ImageConfigSpec;
  retain?: { keep: number };
  /** Checks each new instance must pass before it counts as ready in `bake rollout --recipe`; absent when none. */
  rollout?: { checks: PlannedRolloutCheck[] };
  /** Registries to push the image to after it is verified and registered; absent when the recipe names none. */
  publish?: PlannedPublish[];
  /** Values of the non-secret variables, for the record. */
  vars: Record<string, VarValue>;
  /** Names of the secret variables the plan refers to; their values are supplied at execution. */
  secrets: string[];
}

/** One push after registration. */
export interface PlannedPublish {
  /** `docker://REGISTRY/REPO:TAG`, variables filled in. */
  to: string;
  /** Credentials to push with; the password is always a template of secret variables, revealed only to push. */
  credentials?: { username: PlanString; password: SecretTemplate };
}

export type ExternalScheme = "scratch" | "host" | "oci-archive" | "docker-archive" | "dir" | "gce" | "docker";

export type ParentSpec =
  | {
      kind: "lineage";
      /** As written: `name`, `name@channel`, `name@version` or `name#build`. */
      ref: string;
      lineage: string;
    }
  | {
      kind: "external";
      /** As written in the recipe. */
      ref: string;
      scheme: ExternalScheme;
      /**
       * The scheme's argument: for archive and `dir:` schemes a path, relative to `recipe.root` unless the recipe
       * gives an absolute one (absolute when compiled with `absolutePaths`); the rest of the reference otherwise.
       */
      location: string;
    };

export interface PlannedLayer {
  name: string;
  /** `sha256:<hex>` over the layer's steps and the content and mode of every copied file. */
  inputsDigest: string;
  steps: PlannedStep[];
}

export type PlannedStep = PlannedRunStep | PlannedCopyStep | PlannedFileStep;

export interface PlannedRunStep {
  kind: "run";
  /** A one-line description for progress output. */
  title: string;
  script?: string;
  argv?: string[];
  env: Record<string, PlanString>;
  workdir?: string;
  user?: string;
  timeoutMs?: number;
}

export interface PlannedCopyStep {
  kind: "copy";
  title: string;
  /** Relative to `plan.recipe.root`, normalised with `/` separators. */
  from: string;
  /** Absolute path in the image. A directory source copies its contents into `to`. */
  to: string;
  mode?: number;
  owner?: string;
  /** Every file under the source, sorted by path, as digested for the inputs digest. */
  entries: CopyEntry[];
}

export interface CopyEntry {
  /** Relative to the copy source, `/`-separated; `""` when the source is a single file. */
  path: string;
  type: "file" | "dir" | "symlink";
  /** Permission bits, for example 0o755. */
  mode: number;
  size?: number;
  /** `sha256:<hex>` of a file's content. */
  digest?: string;
  /** A symlink's target. */
  target?: string;
}

export interface PlannedFileStep {
  kind: "file";
  title: string;
  path: string;
  content: PlanString;
  mode?: number;
  owner?: string;
}

export type PlannedCheck = (PlannedRunCheck | PlannedFileCheck | PlannedHttpCheck) &
  CheckTiming & { name: string };

export interface PlannedRunCheck {
  kind: "run";
  script?: string;
  argv?: string[];
  env: Record<string, PlanString>;
  user?: string;
  workdir?: string;
}

export interface PlannedFileCheck {
  kind: "file";
  path: string;
  exists: boolean;
  contains?: string;
  mode?: number;
}

/**
 * A rollout check: the verify http check's `status`, `bodyContains` and timing, sent by bake to
 * `http://<instance internal address>:<port><path>`. Plain strings only: it never carries a secret.
 */
export type PlannedRolloutCheck = Omit<PlannedHttpCheck, "url"> & {
  port: number;
  path: string;
} & CheckTiming & {
    name: string;
  };

export interface PlannedHttpCheck {
  kind: "http";
  url: string;
  status: number;
  bodyContains?: string;
}

/** How one verify check went; drivers report it and the manifest records it. */
export interface CheckResult {
  name: string;
  ok: boolean;
  attempts: number;
  durationMs: number;
  message?: string;
}
