/**
 * Everything a build reports, as plain data. The runner and drivers emit these; reporters (listr2 on a TTY,
 * plain lines in CI, JSON lines with `--json`) render them. Nothing that emits events imports a renderer.
 */
export type BuildEvent =
  | {
      type: "build-started";
      runId: string;
      lineage: string;
      version: string;
      driver: string;
      layers: string[];
    }
  | { type: "parent-resolved"; ref: string; id: string }
  | {
      type: "layer-started";
      layer: string;
      index: number;
      cacheKey: string;
      cached: boolean;
      /** The titles of the layer's steps, so a renderer can list them up front. */
      steps?: string[];
    }
  | {
      type: "layer-finished";
      layer: string;
      index: number;
      ok: boolean;
      cached: boolean;
      durationMs: number;
      artifact?: string;
      /** The layer stopped because the build was interrupted. Set by the runner. */
      interrupted?: boolean;
    }
  | { type: "step-started"; layer: string; step: number; title: string }
  | {
      type: "step-finished";
      layer: string;
      step: number;
      ok: boolean;
      durationMs: number;
      exitCode?: number;
      /** The step stopped because the build was interrupted (SIGINT/SIGTERM), not because it failed. Set by the runner. */
      interrupted?: boolean;
    }
  | {
      type: "output";
      stream: "stdout" | "stderr";
      /** One line of output, without its newline; with `partial`, any piece of the stream. */
      line: string;
      /**
       * `line` is a piece of the stream, not a whole line: it may hold newlines and the line it ends in goes on
       * in the next output event of the same stream. The runner joins pieces into lines (and hides secrets that
       * straddle pieces) before any reporter sees them. @default false
       */
      partial?: boolean;
      layer?: string;
      step?: number;
      check?: number;
    }
  | { type: "note"; message: string; layer?: string }
  | { type: "verify-started"; image: string; checks: string[] }
  | { type: "check-started"; check: number; name: string }
  | { type: "check-attempt"; check: number; attempt: number; ok: boolean; message?: string }
  | {
      type: "check-finished";
      check: number;
      name: string;
      ok: boolean;
      attempts: number;
      durationMs: number;
      message?: string;
      /** The check stopped because the build was interrupted. Set by the runner. */
      interrupted?: boolean;
    }
  | { type: "registered"; recordId: string; lineage: string; version: string; build: number }
  /** The registered image was pushed to a registry (a recipe's `publish:`), and the push recorded. */
  | { type: "published"; recordId: string; destination: string; digest: string }
  /** Every layer was cached and an identical verified image is already registered: nothing was launched. */
  | { type: "up-to-date"; recordId: string; lineage: string; version: string; build: number }
  | {
      type: "build-finished";
      ok: boolean;
      durationMs: number;
      recordId?: string;
      error?: string;
      /** The build ended because it was interrupted (SIGINT/SIGTERM; exit 130). */
      interrupted?: boolean;
    };

/** Receives build events. `close()` flushes and restores the terminal. */
export interface Reporter {
  emit(event: BuildEvent): void;
  close(): Promise<void>;
}
