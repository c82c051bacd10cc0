import type { GuestInventoryReader } from "../../inventory/guest-report.js";
import type { Reporter } from "../events.js";
import { type MachineLine, plainUiText, uiLine } from "./machine-readable.js";
import type { StepMarker } from "./template.js";

/**
 * Turns one layer build's Packer lines into build events: `say` lines are notes, `message` lines are the
 * output of the step that is running (builder chatter before the first step is a note), `error` lines go to
 * stderr. Steps start when Packer names their script or upload. The inventory step's report (when the layer
 * has one) goes to its reader and never to the build log.
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
      /** The layer's inventory step: the text Packer names its script with, and the reader of its report. */
      inventory?: { script: string; reader: GuestInventoryReader };
    },
  ) {}

  line(line: MachineLine): void {
    const ui = uiLine(line);
    if (!ui) return;
    const { layer, reporter, redact, inventory } = this.options;
    if (inventory && ui.kind === "say" && ui.text.includes(inventory.script)) {
      // The recipe's last step succeeded: Packer went on to the next provisioner.
      this.finish(true);
      return;
    }
    // The report is read before redaction: a secret's text inside base64 must not corrupt it.
    let raw = plainUiText(ui.text);
    if (inventory && ui.kind !== "say") {
      const kept = raw.split("\n").filter((part) => !inventory.reader.take(part));
      if (kept.length === 0) return;
      raw = kept.join("\n");
    }
    const text = redact(raw);
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
