import { describe, expect, it } from "vitest";
import type { BuildEvent } from "../../../src/drivers/events.js";
import { OUTPUT_LINES, OutcomeRecorder } from "../../../src/run/ci/outcome.js";

function record(events: BuildEvent[]): OutcomeRecorder {
  const recorder = new OutcomeRecorder();
  for (const event of events) recorder.emit(event);
  return recorder;
}

const started: BuildEvent = {
  type: "build-started",
  runId: "bake-1",
  lineage: "web",
  version: "1.0.0",
  driver: "local",
  layers: ["runtime", "app", "config"],
};

describe("OutcomeRecorder", () => {
  it("remembers which layers were cached, baked or failed, and the step that failed", () => {
    const outcome = record([
      started,
      { type: "parent-resolved", ref: "host", id: "sha256:1" },
      { type: "layer-started", layer: "runtime", index: 0, cacheKey: "k0", cached: true },
      {
        type: "layer-finished",
        layer: "runtime",
        index: 0,
        ok: true,
        cached: true,
        durationMs: 0,
        artifact: "a0",
      },
      { type: "layer-started", layer: "app", index: 1, cacheKey: "k1", cached: false },
      { type: "step-started", layer: "app", step: 0, title: "run install.sh" },
      { type: "step-finished", layer: "app", step: 0, ok: false, durationMs: 30, exitCode: 7 },
      { type: "layer-finished", layer: "app", index: 1, ok: false, cached: false, durationMs: 40 },
      { type: "build-finished", ok: false, durationMs: 90, error: "failed" },
    ]).outcome();
    expect(outcome).toMatchObject({
      lineage: "web",
      runId: "bake-1",
      parent: { ref: "host" },
      durationMs: 90,
    });
    expect(outcome.layers).toEqual([
      { name: "runtime", cached: true, ok: true, durationMs: 0, artifact: "a0" },
      {
        name: "app",
        cached: false,
        ok: false,
        durationMs: 40,
        failedStep: { index: 0, title: "run install.sh", exitCode: 7 },
      },
      { name: "config", cached: false },
    ]);
  });

  it("keeps each check's result, failed attempts and last output lines as one text", () => {
    const lines = Array.from({ length: OUTPUT_LINES + 5 }, (_, n) => `line ${n}`);
    const outcome = record([
      started,
      { type: "verify-started", image: "img", checks: ["health", "version"] },
      { type: "check-started", check: 1, name: "version" },
      ...lines.map((line): BuildEvent => ({ type: "output", stream: "stderr", line, check: 1 })),
      { type: "check-attempt", check: 1, attempt: 1, ok: false, message: "exit 1" },
      { type: "check-attempt", check: 1, attempt: 2, ok: false, message: "exit 2" },
      {
        type: "check-finished",
        check: 1,
        name: "version",
        ok: false,
        attempts: 2,
        durationMs: 5,
        message: "exit 2",
      },
    ]).outcome();
    expect(outcome.verifyChecks).toEqual(["health", "version"]);
    expect(outcome.checks).toEqual([
      {
        index: 1,
        name: "version",
        ok: false,
        attempts: 2,
        durationMs: 5,
        message: "exit 2",
        failedAttempts: ["exit 1", "exit 2"],
        output: lines.slice(-OUTPUT_LINES).join("\n"),
      },
    ]);
  });
});
