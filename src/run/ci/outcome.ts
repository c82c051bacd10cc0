import type { BuildEvent, Reporter } from "../../drivers/events.js";

/** One layer of a build as CI outputs show it. */
export interface LayerOutcome {
  name: string;
  /** Taken from the cache (nothing ran). */
  cached: boolean;
  /** Undefined while the layer has not finished (it never started, or the run stopped in it). */
  ok?: boolean;
  durationMs?: number;
  artifact?: string;
  /** The step that failed, when one did. */
  failedStep?: { index: number; title: string; exitCode?: number };
}

/** One verify check as CI outputs show it. */
export interface CheckOutcome {
  /** The check's position in the recipe's `verify`, from 0. */
  index: number;
  name: string;
  ok: boolean;
  attempts: number;
  durationMs: number;
  message?: string;
  /** The message of each failed attempt, in order. */
  failedAttempts: string[];
  /**
   * The check's last lines of output over all its attempts (at most {@link OUTPUT_LINES}), as one text, so a
   * secret that spans lines is redacted whole; "" when it printed nothing.
   */
  output: string;
}

/** How many lines of a check's output are kept for reports. */
export const OUTPUT_LINES = 20;

/** What a build did, gathered from its events: the part of a run a job summary or a JUnit report needs. */
export interface BuildOutcome {
  lineage?: string;
  version?: string;
  driver?: string;
  runId?: string;
  parent?: { ref: string; id: string };
  layers: LayerOutcome[];
  /** Set once verify started: the names of the checks it runs. */
  verifyChecks?: string[];
  checks: CheckOutcome[];
  upToDate: boolean;
  durationMs?: number;
}

/**
 * A reporter that prints nothing and remembers what happened, for outputs written after the build ends
 * (the GitHub job summary, `--junit`). Values are kept as emitted; outputs redact them when they render.
 */
export class OutcomeRecorder implements Reporter {
  private readonly state: BuildOutcome = { layers: [], checks: [], upToDate: false };
  private readonly stepTitles = new Map<string, string>();
  private readonly attempts = new Map<number, string[]>();
  private readonly output = new Map<number, string[]>();

  emit(event: BuildEvent): void {
    const state = this.state;
    switch (event.type) {
      case "build-started":
        Object.assign(state, {
          lineage: event.lineage,
          version: event.version,
          driver: event.driver,
          runId: event.runId,
        });
        state.layers = event.layers.map((name) => ({ name, cached: false }));
        return;
      case "parent-resolved":
        state.parent = { ref: event.ref, id: event.id };
        return;
      case "layer-started":
        this.layer(event.layer).cached = event.cached;
        return;
      case "layer-finished": {
        const layer = this.layer(event.layer);
        Object.assign(layer, { ok: event.ok, cached: event.cached, durationMs: event.durationMs });
        if (event.artifact) layer.artifact = event.artifact;
        return;
      }
      case "step-started":
        this.stepTitles.set(`${event.layer}\u0000${event.step}`, event.title);
        return;
      case "step-finished":
        if (!event.ok) {
          this.layer(event.layer).failedStep = {
            index: event.step,
            title: this.stepTitles.get(`${event.layer}\u0000${event.step}`) ?? `step ${event.step + 1}`,
            ...(event.exitCode === undefined ? {} : { exitCode: event.exitCode }),
          };
        }
        return;
      case "verify-started":
        state.verifyChecks = [...event.checks];
        return;
      case "output":
        if (event.check !== undefined) {
          const lines = this.output.get(event.check) ?? [];
          lines.push(event.line);
          this.output.set(event.check, lines.slice(-OUTPUT_LINES));
        }
        return;
      case "check-attempt":
        if (!event.ok) {
          const list = this.attempts.get(event.check) ?? [];
          list.push(event.message ?? "failed");
          this.attempts.set(event.check, list);
        }
        return;
      case "check-finished":
        state.checks[event.check] = {
          index: event.check,
          name: event.name,
          ok: event.ok,
          attempts: event.attempts,
          durationMs: event.durationMs,
          ...(event.message === undefined ? {} : { message: event.message }),
          failedAttempts: this.attempts.get(event.check) ?? [],
          output: (this.output.get(event.check) ?? []).join("\n"),
        };
        return;
      case "up-to-date":
        state.upToDate = true;
        return;
      case "build-finished":
        state.durationMs = event.durationMs;
        return;
      default:
        return;
    }
  }

  async close(): Promise<void> {}

  /** What has happened so far; checks that never finished are left out. */
  outcome(): BuildOutcome {
    return { ...this.state, checks: this.state.checks.filter((check) => check !== undefined) };
  }

  // Layers are announced by build-started; one that was not (a driver's own) is added in order.
  private layer(name: string): LayerOutcome {
    let layer = this.state.layers.find((entry) => entry.name === name);
    if (!layer) {
      layer = { name, cached: false };
      this.state.layers.push(layer);
    }
    return layer;
  }
}
