import type { CheckResult, PlannedCheck } from "../../plan/types.js";
import type { Reporter } from "../events.js";
import { type MachineLine, plainUiText, uiLine } from "./machine-readable.js";
import { summaryMarker } from "./template.js";

/**
 * Reads the verify build's output: each check script prints `bake-check:<nonce>:<index>:start`, then
 * `...:ok:<attempts>` or `...:fail:<attempts>:<exit code>`. Lines in between are that check's output.
 */
export class VerifyProgress {
  private current: number | undefined;
  private startedAt = 0;
  private lastOutput: string | undefined;
  private readonly results = new Map<number, CheckResult>();
  private readonly pattern: RegExp;
  private readonly summary: string;
  private summaryFailed = false;

  constructor(
    private readonly options: {
      nonce: string;
      checks: readonly PlannedCheck[];
      reporter: Reporter;
      redact: (text: string) => string;
    },
  ) {
    this.pattern = new RegExp(`^bake-check:${options.nonce}:(\\d+):(start|ok|fail)(?::(\\d+))?(?::(\\d+))?$`);
    this.summary = `${summaryMarker(options.nonce)}:failed`;
  }

  /**
   * Whether the closing provisioner said some check failed: then Packer's non-zero exit is the verdict on the
   * image, reported through the checks, not a broken build.
   */
  get checksFailed(): boolean {
    return this.summaryFailed;
  }

  line(line: MachineLine): void {
    const ui = uiLine(line);
    if (!ui) return;
    const { reporter, redact } = this.options;
    for (const part of redact(plainUiText(ui.text)).split("\n")) {
      const marker = this.pattern.exec(part.trim());
      if (part.trim() === this.summary) {
        this.summaryFailed = true;
        this.current = undefined;
      } else if (marker) {
        this.marker(Number(marker[1]), marker[2] as string, {
          attempts: Number(marker[3] ?? "1"),
          code: marker[4],
        });
      } else if (ui.kind === "say") {
        if (part.trim() !== "") reporter.emit({ type: "note", message: part });
      } else if (this.current !== undefined) {
        if (part.trim() !== "") this.lastOutput = part.trim();
        reporter.emit({
          type: "output",
          stream: ui.kind === "error" ? "stderr" : "stdout",
          line: part,
          check: this.current,
        });
      }
    }
  }

  /** Every check's result, in order; a check that never reported did not run. */
  checkResults(): CheckResult[] {
    return this.options.checks.map(
      (check, index) =>
        this.results.get(index) ?? {
          name: check.name,
          ok: false,
          attempts: 0,
          durationMs: 0,
          message: "did not run (the verify build stopped before it)",
        },
    );
  }

  private marker(index: number, kind: string, detail: { attempts: number; code: string | undefined }): void {
    const check = this.options.checks[index];
    if (!check) return;
    if (kind === "start") {
      this.current = index;
      this.startedAt = Date.now();
      this.lastOutput = undefined;
      this.options.reporter.emit({ type: "check-started", check: index, name: check.name });
      return;
    }
    const ok = kind === "ok";
    const message = ok
      ? undefined
      : `exit code ${detail.code ?? "?"}${this.lastOutput ? `: ${this.lastOutput}` : ""}`;
    const result: CheckResult = {
      name: check.name,
      ok,
      attempts: detail.attempts,
      durationMs: Date.now() - this.startedAt,
      ...(message ? { message } : {}),
    };
    this.results.set(index, result);
    this.options.reporter.emit({ type: "check-finished", check: index, ...result });
    this.current = undefined;
  }
}
