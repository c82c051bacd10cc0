import type { Reporter } from "../events.js";
import { type MachineLine, plainUiText, uiLine } from "./machine-readable.js";
import type { StepMarker } from "./template.js";

/**
 * Turns one layer build's Packer lines into build events: `say` lines are notes, `message` lines are the
 * output of the step that is running (builder chatter before the first step is a note), `error` lines go to
 * stderr. Steps start when Packer names their script or upload.
 */
export class LayerProgress {
  private step: number | undefined;
  private stepStartedAt = 0;

  constructor(
    private readonly options: {
      layer: string;
      titles: readonly string[];
      markers: readonly StepMarker[];
      reporter: Reporter;
      redact: (text: string) => string;
    },
  ) {}

  line(line: MachineLine): void {
    const ui = uiLine(line);
    if (!ui) return;
    const { layer, reporter, redact } = this.options;
    const text = redact(plainUiText(ui.text));
    if (ui.kind === "say") {
      const marker = this.options.markers.find((candidate) => ui.text.includes(candidate.text));
      if (marker && marker.step !== this.step) this.startStep(marker.step);
      if (text.trim() !== "") reporter.emit({ type: "note", message: text, layer });
      return;
    }
    for (const part of text.split("\n")) {
      if (ui.kind === "error") {
        reporter.emit({ type: "output", stream: "stderr", line: part, layer, ...this.stepField() });
      } else if (this.step === undefined) {
        if (part.trim() !== "") reporter.emit({ type: "note", message: part, layer });
      } else {
        reporter.emit({ type: "output", stream: "stdout", line: part, layer, step: this.step });
      }
    }
  }

  /** Ends the running step: ok when the build succeeded. */
  finish(ok: boolean): void {
    if (this.step === undefined) return;
    this.options.reporter.emit({
      type: "step-finished",
      layer: this.options.layer,
      step: this.step,
      ok,
      durationMs: Date.now() - this.stepStartedAt,
    });
    this.step = undefined;
  }

  private startStep(step: number): void {
    this.finish(true);
    this.step = step;
    this.stepStartedAt = Date.now();
    this.options.reporter.emit({
      type: "step-started",
      layer: this.options.layer,
      step,
      title: this.options.titles[step] ?? `step ${step + 1}`,
    });
  }

  private stepField(): { step?: number } {
    return this.step === undefined ? {} : { step: this.step };
  }
}
