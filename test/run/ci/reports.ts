import type { ImageRecord } from "../../../src/manifest/types.js";
import type { BuildOutcome } from "../../../src/run/ci/outcome.js";
import type { BuildReport } from "../../../src/run/ci/report.js";

/** An image record as the manifest would hold it, for rendering tests. */
export function record(overrides: Partial<ImageRecord> = {}): ImageRecord {
  return {
    type: "record",
    id: `sha256:${"a".repeat(64)}`,
    prev: `sha256:${"0".repeat(64)}`,
    kind: "image",
    lineage: "web",
    version: "2.4.0",
    build: 12,
    parent: { record: `sha256:${"b".repeat(64)}` },
    driver: "local",
    artifact: `sha256:${"c".repeat(64)}`,
    recipeDigest: `sha256:${"d".repeat(64)}`,
    createdAt: "2026-11-28T09:00:00.000Z",
    bakeVersion: "0.1.0",
    verify: { ok: true, checks: [{ name: "health", ok: true, attempts: 1, durationMs: 120 }] },
    ...overrides,
  };
}

/** The outcome of a build of two layers (the first cached) and two checks. */
export function outcome(overrides: Partial<BuildOutcome> = {}): BuildOutcome {
  return {
    lineage: "web",
    version: "2.4.0",
    driver: "local",
    runId: "bake-test-1",
    parent: { ref: "web-base@stable", id: `sha256:${"b".repeat(64)}` },
    layers: [
      { name: "runtime", cached: true, ok: true, durationMs: 0, artifact: `sha256:${"e".repeat(64)}` },
      { name: "app", cached: false, ok: true, durationMs: 2300, artifact: `sha256:${"c".repeat(64)}` },
    ],
    verifyChecks: ["health", "version"],
    checks: [
      {
        index: 0,
        name: "health",
        ok: true,
        attempts: 3,
        durationMs: 1500,
        failedAttempts: ["503", "503"],
        output: "",
      },
      { index: 1, name: "version", ok: true, attempts: 1, durationMs: 40, failedAttempts: [], output: "" },
    ],
    upToDate: false,
    durationMs: 4200,
    ...overrides,
  };
}

/** A report of a successful build; pass overrides for the case under test. */
export function report(overrides: Partial<BuildReport> = {}): BuildReport {
  const image = record();
  return {
    recipe: "images/web/recipe.yaml",
    lineage: "web",
    version: "2.4.0",
    plannedChecks: ["health", "version"],
    outcome: outcome(),
    record: image,
    ancestry: {
      chain: [
        image,
        record({ id: `sha256:${"b".repeat(64)}`, lineage: "web-base", version: "1.0.0", build: 3 }),
      ],
      base: {
        ref: "gce:projects/debian-cloud/global/images/family/debian-12",
        id: "projects/debian-cloud/global/images/debian-12-bookworm-v20260110",
      },
    },
    finishedAt: new Date("2026-11-28T09:00:05.000Z"),
    ...overrides,
  };
}
