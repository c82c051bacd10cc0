import type { BuildEvent, Reporter } from "../drivers/events.js";

/** The step that was running last, with the tail of its output, for the message of a failed build. */
export interface StepTrace {
  layer: string;
  step: number;
  title: string;
  lastLines: string[];
  exitCode?: number;
}

/**
 * Forwards every event to the reporter and remembers the last step the driver started and its last output
 * lines, so the runner can name the step that failed without knowing how the driver runs steps.
 */
export class StepTap implements Reporter {
  private current: StepTrace | undefined;

  constructor(
    private readonly inner: Reporter,
    private readonly keepLines = 15,
  ) {}

  emit(event: BuildEvent): void {
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

  /** The last step started in this layer, if any. */
  lastStep(layer: string): StepTrace | undefined {
    return this.current?.layer === layer ? this.current : undefined;
  }

  /** Forgets the current step; called when a new layer starts. */
  reset(): void {
    this.current = undefined;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
