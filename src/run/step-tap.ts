import type { BuildEvent, Reporter } from "../drivers/events.js";
import { type Redactor, redactDeep } from "../drivers/redact.js";
import { SecretLines } from "../drivers/secret-lines.js";

/** The step that was running last, with the tail of its output, for the message of a failed build. */
export interface StepTrace {
  layer: string;
  step: number;
  title: string;
  /** The step's last output lines, secrets already hidden. */
  lastLines: string[];
  exitCode?: number;
}

type OutputEvent = Extract<BuildEvent, { type: "output" }>;

/**
 * Stands between whatever emits events (the runner, a driver) and the reporter. It hides secrets in every
 * event before any reporter sees it, joins output pieces into lines first (so a secret split across pieces is
 * hidden too), marks what stopped because the build was interrupted, and remembers the last step started and
 * its last output lines, so the runner can name the step that failed without knowing how the driver runs steps.
 */
export class StepTap implements Reporter {
  private current: StepTrace | undefined;
  private readonly streams = new Map<string, { lines: SecretLines; event: OutputEvent }>();
  private readonly keepLines: number;

  constructor(
    private readonly inner: Reporter,
    private readonly options: {
      redact: Redactor;
      /** The build's signal: a failure reported after it aborted is marked `interrupted`. */
      signal?: AbortSignal;
      /** How many output lines of the running step to keep. @default 15 */
      keepLines?: number;
      /** Passed to {@link SecretLines}. @default 8192 */
      maxLine?: number;
    },
  ) {
    this.keepLines = options.keepLines ?? 15;
  }

  emit(event: BuildEvent): void {
    if (event.type === "output") {
      this.output(event);
      return;
    }
    // Pieces of output print before whatever comes after them.
    this.flush();
    this.forward(redactDeep(this.markInterrupted(event), this.options.redact));
  }

  /** The last step started in this layer, if any. */
  lastStep(layer: string): StepTrace | undefined {
    return this.current?.layer === layer ? this.current : undefined;
  }

  /** Forgets the current step; called when a new layer starts. */
  reset(): void {
    this.current = undefined;
  }

  close(): Promise<void> {
    this.flush();
    return this.inner.close();
  }

  private output(event: OutputEvent): void {
    const key = `${event.stream}|${event.layer ?? ""}|${event.step ?? ""}|${event.check ?? ""}`;
    let stream = this.streams.get(key);
    if (!stream) {
      const lines = new SecretLines(this.options.redact, {
        ...(this.options.maxLine === undefined ? {} : { maxLine: this.options.maxLine }),
      });
      stream = { lines, event };
      this.streams.set(key, stream);
    }
    stream.event = event;
    const lines = stream.lines.push(event.partial ? event.line : `${event.line}\n`);
    for (const line of lines) this.forwardLine(event, line);
  }

  private flush(): void {
    for (const { lines, event } of this.streams.values()) {
      for (const line of lines.end()) this.forwardLine(event, line);
    }
    this.streams.clear();
  }

  // `line` comes from SecretLines, secrets hidden; the rest of the event is redacted like any other.
  private forwardLine(event: OutputEvent, line: string): void {
    const { partial: _partial, line: _line, ...rest } = event;
    this.forward({ ...redactDeep(rest, this.options.redact), line });
  }

  private forward(event: BuildEvent): void {
    if (event.type === "step-started") {
      this.current = { layer: event.layer, step: event.step, title: event.title, lastLines: [] };
    } else if (event.type === "step-finished" && this.current?.step === event.step) {
      if (event.exitCode !== undefined) this.current.exitCode = event.exitCode;
    } else if (event.type === "output" && this.current && event.check === undefined) {
      this.current.lastLines.push(event.line);
      if (this.current.lastLines.length > this.keepLines) this.current.lastLines.shift();
    }
    this.inner.emit(event);
  }

  // After the signal aborted, a step, layer, check or build that did not succeed was stopped, not failed.
  private markInterrupted(event: BuildEvent): BuildEvent {
    if (!this.options.signal?.aborted) return event;
    switch (event.type) {
      case "step-finished":
      case "layer-finished":
      case "check-finished":
      case "build-finished":
        return event.ok ? event : { ...event, interrupted: true };
      default:
        return event;
    }
  }
}
