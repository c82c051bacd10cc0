import type { DriverContext } from "../../../src/drivers/driver.js";
import type { BuildEvent, Reporter } from "../../../src/drivers/events.js";
import type { BuildPlan, PlannedCheck, PlannedLayer, PlannedStep } from "../../../src/plan/types.js";
import type { FakeCompute } from "../../fakes/gce/server.js";

/** Target options for tests: fast polling and retries, short timeouts. */
export function testOptions(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    project: "bake-test",
    zone: "us-central1-a",
    pollInterval: "50ms",
    retryDelay: "10ms",
    buildTimeout: "60s",
    verifyTimeout: "60s",
    ...extra,
  };
}

export function runStep(script: string, env: Record<string, string> = {}): PlannedStep {
  return { kind: "run", title: script.slice(0, 40), script, env };
}

export function layer(name: string, steps: PlannedStep[]): PlannedLayer {
  return { name, inputsDigest: `sha256:${name.padEnd(64, "0").slice(0, 64)}`, steps };
}

export function runCheck(name: string, script: string, extra: Partial<PlannedCheck> = {}): PlannedCheck {
  return {
    kind: "run",
    name,
    script,
    env: {},
    retries: 0,
    intervalMs: 0,
    timeoutMs: 10_000,
    ...extra,
  } as PlannedCheck;
}

/** A plan as the compiler would produce it, built on the fake's debian-12 family. */
export function testPlan(input: {
  layers: PlannedLayer[];
  verify?: PlannedCheck[];
  options?: Record<string, unknown>;
  root?: string;
  lineage?: string;
}): BuildPlan {
  return {
    apiVersion: "bake/plan/v1",
    lineage: input.lineage ?? "web",
    version: "2.4.0",
    recipe: {
      file: `${input.root ?? "/nonexistent"}/recipe.yaml`,
      root: input.root ?? "/nonexistent",
      digest: `sha256:${"ab".repeat(32)}`,
    },
    parent: {
      kind: "external",
      ref: "gce:projects/debian-cloud/global/images/family/debian-12",
      scheme: "gce",
      location: "projects/debian-cloud/global/images/family/debian-12",
    },
    target: { driver: "gce", options: testOptions(input.options) },
    layers: input.layers,
    verify: input.verify ?? [],
    labels: { team: "heroes" },
    vars: {},
    secrets: [],
  };
}

/** A reporter that keeps every event. */
export function recorder(): Reporter & { events: BuildEvent[] } {
  const events: BuildEvent[] = [];
  return { events, emit: (event) => events.push(event), close: async () => {} };
}

export function context(
  fake: FakeCompute,
  signal: AbortSignal = new AbortController().signal,
): DriverContext & { reporter: ReturnType<typeof recorder> } {
  return { cwd: "/", env: { BAKE_GCE_ENDPOINT: fake.endpoint }, signal, reporter: recorder() };
}

/** Fails the test when a run left an instance or a disk behind. */
export function leaks(fake: FakeCompute): { instances: number; disks: number } {
  const { instances, disks } = fake.live();
  return { instances, disks };
}
