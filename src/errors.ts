/** A position in a source file, 1-based, as editors show it. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

/**
 * The one error type bake throws on purpose. `code` is stable (tests and tools match on it),
 * `message` is written for the user, and `hint` says how to fix it.
 */
export class BakeError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly location: SourceLocation | undefined;
  /** Extra lines printed under the message, such as a source excerpt with a caret. */
  readonly detail: string | undefined;
  /** The process exit code when this error ends a command. @default 2 (bad input) */
  readonly exitCode: number;

  constructor(options: {
    code: string;
    message: string;
    hint?: string;
    location?: SourceLocation;
    detail?: string;
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
  }
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
  constructor(options: { code: string; message: string; hint?: string; detail?: string; cause?: unknown }) {
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

export function isBakeError(error: unknown): error is BakeError {
  return error instanceof BakeError;
}
