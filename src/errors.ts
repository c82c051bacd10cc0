/** A position in a source file, 1-based, as editors show it. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

/**
 * Every code a {@link BakeError} or a recipe {@link Diagnostic} can carry, one per condition. The validator, the
 * compiler, the runner, the drivers, the manifest and the CLI share them: the same problem has the same code
 * wherever it is found. `test/errors/codes.test.ts` checks that each code used in `src/` is listed here and
 * that each one listed is used.
 */
export const BAKE_ERROR_CODES = [
  // Reading a recipe
  "recipe-unreadable",
  "recipe-not-a-file",
  "recipe-too-large",
  "recipe-encoding",
  "recipe-empty",
  "recipe-invalid",
  "recipes-not-found",
  // YAML: bake's own limits, then one code for each problem the yaml parser reports
  "yaml-invalid",
  "yaml-alias-limit",
  "yaml-too-deep",
  "yaml-complex-key",
  "yaml-alias-props",
  "yaml-bad-alias",
  "yaml-bad-directive",
  "yaml-bad-dq-escape",
  "yaml-bad-indent",
  "yaml-bad-prop-order",
  "yaml-bad-scalar-start",
  "yaml-block-as-implicit-key",
  "yaml-block-in-flow",
  "yaml-duplicate-key",
  "yaml-impossible",
  "yaml-key-over-1024-chars",
  "yaml-missing-char",
  "yaml-multiline-implicit-key",
  "yaml-multiple-anchors",
  "yaml-multiple-docs",
  "yaml-multiple-tags",
  "yaml-non-string-key",
  "yaml-resource-exhaustion",
  "yaml-tab-as-indent",
  "yaml-tag-resolve-failed",
  "yaml-unexpected-token",
  "yaml-bad-collection-type",
  // The recipe schema
  "unknown-key",
  "missing-key",
  "missing-value",
  "bad-format",
  "wrong-type",
  "bad-value",
  "bad-key",
  "missing-kind",
  "several-kinds",
  "misplaced-key",
  "out-of-range",
  "empty-list",
  "empty-value",
  // Recipe rules, shared by the validator and the compiler
  "duplicate-layer",
  "duration-too-long",
  "duration-zero",
  "mode-decimal",
  "parent-invalid",
  "copy-interpolation",
  "copy-absolute",
  "copy-outside-root",
  "copy-symlink-escape",
  "copy-missing",
  "copy-source-unsupported",
  "copy-inputs-missing",
  "unknown-interpolation",
  "unknown-variable",
  "vars-interpolation",
  "script-interpolation",
  "ambiguous-reference",
  "unknown-driver",
  "target-invalid",
  "plan-root-missing",
  // Variables and secrets
  "var-default-enum",
  "var-default-nul",
  "var-default-pattern",
  "var-default-type",
  "var-enum-type",
  "var-pattern-ignored",
  "var-pattern-invalid",
  "var-invalid",
  "var-missing",
  "var-unknown",
  "var-file-invalid",
  "var-file-unreadable",
  "secret-default",
  "secret-misplaced",
  "secret-missing",
  "secret-in-vars",
  "secret-on-command-line",
  // Building: the runner and every driver
  "interrupted",
  "step-failed",
  "step-invalid",
  "step-timeout",
  "verify-failed",
  "verify-http-without-service",
  "copy-changed",
  "copy-target",
  "parent-missing",
  "parent-revoked",
  "parent-driver-mismatch",
  "parent-unsupported",
  "base-missing",
  "base-unsupported",
  "archive-corrupt",
  "archive-invalid",
  "archive-missing",
  "archive-platform",
  "image-corrupt",
  "image-missing",
  "image-path",
  "layer-capture",
  "layer-corrupt",
  "unknown-user",
  "unknown-group",
  "sandbox-bind",
  "sandbox-env",
  "sandbox-layer-missing",
  "sandbox-layers",
  "sandbox-overlay",
  "sandbox-path",
  "sandbox-unavailable",
  "sandbox-user",
  "store-io",
  "store-locked",
  "export-changed",
  "export-driver",
  "export-output",
  "output-is-manifest",
  "output-unwritable",
  "directory-uncreatable",
  "packer-build-failed",
  "packer-config-value",
  "packer-env-name",
  "packer-missing",
  "packer-no-artifact",
  "packer-path-template",
  "packer-reserved-variable",
  "packer-too-old",
  "packer-version-unknown",
  "docker-failed",
  "docker-missing",
  "gce-client-missing",
  "gce-api",
  "gce-image",
  "gce-instance-gone",
  "gce-operation",
  "gce-parent-not-found",
  "gce-parent-obsolete",
  "gce-startup-script-too-large",
  "gce-startup-timeout",
  // Building a tree of recipes
  "tree-cycle",
  "tree-duplicate-lineage",
  "tree-invalid",
  "tree-parent-missing",
  // The lineage manifest and its stores
  "manifest-chain-broken",
  "manifest-damaged",
  "manifest-invalid",
  "manifest-lock-failed",
  "manifest-hard-linked",
  "manifest-not-writable",
  "manifest-disk-full",
  "manifest-locked",
  "manifest-missing",
  "manifest-read-only",
  "manifest-not-a-file",
  "manifest-too-new",
  "manifest-unreadable",
  "gc-manifest-unreadable",
  "record-invalid",
  "event-invalid",
  "event-refused",
  "ref-ambiguous",
  "ref-not-found",
  "side-data-id",
  "side-data-missing",
  "side-data-tampered",
  "side-data-unsupported",
  "store-auth-failed",
  "store-busy",
  "store-cache-damaged",
  "store-copy-mismatch",
  "store-failed",
  "store-git-missing",
  "store-invalid",
  "store-location-invalid",
  "store-not-empty",
  "store-permission",
  "store-rewound",
  "store-rewritten",
  "store-schema-missing",
  "store-schema-new",
  "store-schema-old",
  "store-unreachable",
  "store-write-refused",
  // Registries: bases the local driver pulls, and pushes (bake push, publish:)
  "skopeo-missing",
  "registry-auth",
  "registry-tls",
  "registry-unreachable",
  "registry-error",
  "base-not-found",
  "base-corrupt",
  "base-platform",
  "push-destination",
  "push-driver",
  "push-failed",
  "push-layer",
  "push-revoked",
  "publish-invalid",
  "publish-password-not-secret",
  "publish-unrecorded",
  "publish-failed",
  // Rollout to managed instance groups
  "rollout-image",
  "rollout-record",
  "rollout-revoked",
  "rollout-template",
  // The command line
  "usage",
  "file-exists",
  "unknown-template",
  "output-closed",
  "junit-unwritable",
  "no-inventory",
  "inventory-report",
  "inventory-not-taken",
  "sbom-unreadable",
  "bad-query",
  "bad-package-query",
  // Not a BakeError: what a report says about an unexpected error (a bug in bake)
  "internal",
] as const;

/**
 * The stable code of a {@link BakeError} or a recipe diagnostic. Match on it exhaustively with a `switch`:
 * a misspelt code does not compile.
 */
export type BakeErrorCode = (typeof BAKE_ERROR_CODES)[number];

// A registered symbol is the same in every copy of the package loaded into one process, so `isBakeError`
// recognises an error thrown by another copy (two versions in node_modules, or one bundled), where
// `instanceof` does not.
const BRAND = Symbol.for("dev.bake.error");

/**
 * The one error type bake throws on purpose. `code` is stable (tests and tools match on it),
 * `message` is written for the user, and `hint` says how to fix it.
 */
export class BakeError extends Error {
  readonly code: BakeErrorCode;
  readonly hint: string | undefined;
  /** Where in a recipe the problem is, when it comes from one: `file:line:col`. */
  readonly location: SourceLocation | undefined;
  /** Extra lines printed under the message, such as a source excerpt with a caret. */
  readonly detail: string | undefined;
  /** The process exit code when this error ends a command. @default 2 (bad input) */
  readonly exitCode: number;

  constructor(options: {
    code: BakeErrorCode;
    message: string;
    hint?: string | undefined;
    location?: SourceLocation | undefined;
    detail?: string | undefined;
    exitCode?: number;
    cause?: unknown;
  }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BakeError";
    this.code = options.code;
    this.hint = options.hint;
    this.location = options.location;
    this.detail = options.detail;
    this.exitCode = options.exitCode ?? ExitCode.BadInput;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * `error` pointing at `location`: the same error when it has a location already (or none is known), else a copy
 * with it. For a layer that finds a problem without knowing where the recipe wrote it, such as a copy source.
 */
export function withLocation(error: BakeError, location: SourceLocation | undefined): BakeError {
  if (location === undefined || error.location !== undefined) return error;
  return new BakeError({
    code: error.code,
    message: error.message,
    hint: error.hint,
    detail: error.detail,
    location,
    exitCode: error.exitCode,
    cause: error,
  });
}

/** Exit codes every command shares. */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  BadInput: 2,
  Interrupted: 130,
} as const;

/** A build, step or verify check failed: exit 1. */
export class BuildFailedError extends BakeError {
  constructor(options: {
    code: BakeErrorCode;
    message: string;
    hint?: string | undefined;
    detail?: string | undefined;
    cause?: unknown;
  }) {
    super({ ...options, exitCode: ExitCode.Failed });
    this.name = "BuildFailedError";
  }
}

/** The run was cancelled by SIGINT/SIGTERM or an aborted signal: exit 130. */
export class InterruptedError extends BakeError {
  constructor(message = "interrupted") {
    super({ code: "interrupted", message, exitCode: ExitCode.Interrupted });
    this.name = "InterruptedError";
  }
}

/**
 * Whether `error` is a {@link BakeError}, also one thrown by another copy of this package in the same process
 * (where `instanceof` fails). Use it instead of `instanceof` in code that may meet errors from a dependency's copy.
 */
export function isBakeError(error: unknown): error is BakeError {
  return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}
