import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { ResolvedImage } from "../../../src/drivers/driver.js";
import { GceDriver } from "../../../src/drivers/gce/index.js";
import { type BakeError, BuildFailedError, InterruptedError } from "../../../src/errors.js";
import type { BuildPlan, ParentSpec } from "../../../src/plan/types.js";
import { FakeCompute } from "../../fakes/gce/server.js";
import { context, layer, leaks, runCheck, runStep, testPlan } from "./helpers.js";

let fake: FakeCompute;
let driver: GceDriver;

beforeAll(async () => {
  fake = await FakeCompute.start();
  driver = new GceDriver();
});
afterAll(async () => {
  await driver.close();
  await fake.close();
});
beforeEach(() => {
  fake.silenceGuests(false);
  fake.clearFaults();
});

async function resolveParent(plan: BuildPlan): Promise<ResolvedImage> {
  driver.prepare(plan.target);
  return driver.resolve(plan.parent as Extract<ParentSpec, { kind: "external" }>, context(fake));
}

async function bakeAll(plan: BuildPlan, runId: string, ctx = context(fake)) {
  let parent: { id: string; driver?: string } = await resolveParent(plan);
  for (const [index, planned] of plan.layers.entries()) {
    parent = await driver.bake({
      ...ctx,
      plan,
      parent: parent as ResolvedImage,
      layer: planned,
      layerIndex: index,
      runId,
      secrets: {},
    });
  }
  return { artifact: parent, ctx };
}

function expectFailure(promise: Promise<unknown>): Promise<BakeError> {
  return promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: unknown) => error as BakeError,
  );
}

describe("resolve", () => {
  test("turns a family into its newest image's exact name and numeric id", async () => {
    const resolved = await resolveParent(testPlan({ layers: [] }));
    const image = fake.images.get("debian-cloud/debian-12-bookworm-v20260101");
    expect(resolved.id).toBe(`projects/debian-cloud/global/images/debian-12-bookworm-v20260101@${image?.id}`);
    expect(resolved.ref).toBe("gce:projects/debian-cloud/global/images/family/debian-12");
    expect(resolved.details?.selfLink).toContain(
      "/projects/debian-cloud/global/images/debian-12-bookworm-v20260101",
    );
  });

  test("warns about a deprecated parent and refuses an obsolete one", async () => {
    fake.addImage({
      project: "old-cloud",
      name: "old-1",
      deprecated: { state: "DEPRECATED", replacement: "x" },
    });
    fake.addImage({ project: "old-cloud", name: "old-2", deprecated: { state: "OBSOLETE" } });
    const parent = (name: string): Extract<ParentSpec, { kind: "external" }> => ({
      kind: "external",
      ref: `gce:projects/old-cloud/global/images/${name}`,
      scheme: "gce",
      location: `projects/old-cloud/global/images/${name}`,
    });
    const deprecated = await driver.resolve(parent("old-1"), context(fake));
    expect(deprecated.warnings?.[0]).toContain("old-1 is DEPRECATED");
    const obsolete = await expectFailure(driver.resolve(parent("old-2"), context(fake)));
    expect(obsolete.code).toBe("gce-parent-obsolete");
    const missing = await expectFailure(driver.resolve(parent("no-such-image"), context(fake)));
    expect(missing.code).toBe("gce-parent-not-found");
  });
});

describe("bake", () => {
  test("builds two layers, registers images with family, labels and lineage, and leaves nothing running", async () => {
    const plan = testPlan({
      layers: [
        layer("runtime", [runStep("mkdir -p /opt/runtime && echo rt > /opt/runtime/VERSION")]),
        layer("app", [
          runStep('echo "$APP_VERSION" > /opt/APP && cat /opt/runtime/VERSION', { APP_VERSION: "2.4.0" }),
        ]),
      ],
    });
    const before = fake.live().images;
    const { artifact, ctx } = await bakeAll(plan, "bake-run1-aaaaaa");
    expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
    expect(fake.live().images).toBe(before + 2);
    const name = /images\/([^@]+)@/.exec(artifact.id)?.[1] ?? "";
    const image = fake.images.get(`bake-test/${name}`);
    expect(image?.family).toBe("web");
    expect(image?.labels).toMatchObject({
      "bake-lineage": "web",
      "bake-version": "2-4-0",
      "bake-layer": "app",
      "bake-run": "bake-run1-aaaaaa",
      team: "heroes",
    });
    expect(image?.description).toMatch(
      /^bake lineage: web 2.4.0 \[app\] <- web 2.4.0 \[runtime\] <- debian-12-bookworm-v20260101@\d+/,
    );
    const runtimeImage = [...fake.images.values()].find((i) => i.labels["bake-layer"] === "runtime");
    expect(runtimeImage?.family).toBeUndefined();
    expect(image?.labels["bake-parent"]).toBe(runtimeImage?.id);
    for (const insert of [...fake.calls("instances.insert"), ...fake.calls("images.insert")]) {
      expect(insert.query.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
    const body = fake.calls("instances.insert")[0]?.body as {
      scheduling: Record<string, unknown>;
      labels: Record<string, string>;
    };
    expect(body.scheduling).toEqual({
      instanceTerminationAction: "DELETE",
      maxRunDuration: { seconds: "660" },
    });
    expect(body.labels["bake-run"]).toBe("bake-run1-aaaaaa");
    const starts = fake.calls("instances.getSerialPortOutput").map((call) => Number(call.query.start ?? 0));
    expect(starts.some((start) => start > 0)).toBe(true);
    expect(ctx.reporter.events.filter((e) => e.type === "step-finished")).toHaveLength(2);
    expect(ctx.reporter.events.some((e) => e.type === "output" && e.line === "rt")).toBe(true);

    const verified = await driver.verify({
      ...context(fake),
      plan,
      image: { id: artifact.id, driver: "gce" },
      checks: [
        runCheck("app version", 'test "$(cat /opt/APP)" = 2.4.0'),
        runCheck("runtime from the lower layer", "test -f /opt/runtime/VERSION"),
      ],
      runId: "bake-run1-aaaaaa",
      secrets: {},
    });
    expect(verified).toMatchObject({
      ok: true,
      checks: [
        { ok: true, attempts: 1 },
        { ok: true, attempts: 1 },
      ],
    });
    expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
  });

  test("reports a failing step with its number and exit code, and deletes the builder", async () => {
    const plan = testPlan({ layers: [layer("broken", [runStep("true"), runStep("echo boom >&2; exit 3")])] });
    const images = fake.live().images;
    const ctx = context(fake);
    const error = await expectFailure(bakeAll(plan, "bake-run2-bbbbbb", ctx));
    expect(error).toBeInstanceOf(BuildFailedError);
    expect(error.message).toMatch(/^failed with exit code 3 on builder instance bake-web-l0-run2-bbbbbb/);
    const finished = ctx.reporter.events.filter((e) => e.type === "step-finished");
    expect(finished).toMatchObject([
      { step: 0, ok: true, exitCode: 0 },
      { step: 1, ok: false, exitCode: 3 },
    ]);
    expect(ctx.reporter.events.some((e) => e.type === "output" && e.line.includes("SeaBIOS"))).toBe(false);
    expect(error.detail).toContain("boom");
    expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
    expect(fake.live().images).toBe(images);
  });

  test("refuses a startup script beyond the metadata limit before creating anything", async () => {
    const big = "x".repeat(300 * 1024);
    const plan = testPlan({
      layers: [layer("big", [{ kind: "file", title: "big", path: "/big", content: big }])],
    });
    const inserts = fake.calls("instances.insert").length;
    const error = await expectFailure(bakeAll(plan, "bake-run3-cccccc"));
    expect(error.code).toBe("gce-startup-script-too-large");
    expect(error.message).toMatch(/is \d+ bytes, \d+ bytes beyond Compute Engine's 262144-byte limit/);
    expect(fake.calls("instances.insert").length).toBe(inserts);
  });
});

describe("faults", () => {
  const plan = () => testPlan({ layers: [layer("one", [runStep("echo built > /built")])] });

  test("a quota error on instances.insert names the call and leaks nothing", async () => {
    fake.inject({ call: "instances.insert", kind: "quota" });
    const images = fake.live().images;
    const error = await expectFailure(bakeAll(plan(), "bake-f1-000001"));
    expect(error.message).toContain("instances.insert");
    expect(error.message).toContain("HTTP 403 quotaExceeded");
    expect(error.hint).toContain("quota");
    expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
    expect(fake.live().images).toBe(images);
  });

  test("a transient 5xx is retried with the same requestId", async () => {
    fake.inject({ call: "instances.insert", kind: "server-error" });
    const before = fake.calls("instances.insert").length;
    await bakeAll(plan(), "bake-f2-000002");
    const inserts = fake.calls("instances.insert").slice(before);
    expect(inserts).toHaveLength(2);
    expect(inserts[0]?.query.requestId).toBe(inserts[1]?.query.requestId);
    expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
  });

  test("a lost response to images.insert is retried without making a second image", async () => {
    fake.inject({ call: "images.insert", kind: "lost-response" });
    const images = fake.live().images;
    await bakeAll(plan(), "bake-f3-000003");
    expect(fake.live().images).toBe(images + 1);
    expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
  });

  test("an operation that ends with an error names the call and leaks nothing", async () => {
    fake.inject({ call: "images.insert", kind: "operation-error" });
    const images = fake.live().images;
    const error = await expectFailure(bakeAll(plan(), "bake-f4-000004"));
    expect(error.code).toBe("gce-operation");
    expect(error.message).toMatch(/images\.insert failed: operation operation-\S+ ended with INTERNAL_ERROR/);
    expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
    expect(fake.live().images).toBe(images);
  });

  test("an instance insert whose operation fails leaks nothing", async () => {
    fake.inject({ call: "instances.insert", kind: "operation-error" });
    const error = await expectFailure(bakeAll(plan(), "bake-f5-000005"));
    expect(error.message).toContain("instances.insert");
    expect(error.message).toContain("ZONE_RESOURCE_POOL_EXHAUSTED");
    expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
  });

  test("a startup script that never signals times out and leaks nothing", async () => {
    fake.silenceGuests();
    const quick = testPlan({ layers: [layer("one", [runStep("true")])], options: { buildTimeout: "1s" } });
    const error = await expectFailure(bakeAll(quick, "bake-f6-000006"));
    expect(error.code).toBe("gce-startup-timeout");
    expect(error.message).toContain("instances.getSerialPortOutput");
    expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
  });

  test("a persistent 5xx on stop fails the layer and still deletes the builder", async () => {
    fake.inject({ call: "instances.stop", kind: "server-error", times: 10 });
    const images = fake.live().images;
    const error = await expectFailure(bakeAll(plan(), "bake-f7-000007"));
    expect(error.message).toContain("instances.stop");
    expect(error.message).toContain("HTTP 503");
    expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
    expect(fake.live().images).toBe(images);
  });

  test("an abort mid-build deletes the builder and throws InterruptedError", async () => {
    const controller = new AbortController();
    const slow = testPlan({ layers: [layer("slow", [runStep("sleep 20")])] });
    const resolved = await resolveParent(slow);
    const ctx = context(fake, controller.signal);
    const running = driver.bake({
      ...ctx,
      plan: slow,
      parent: resolved,
      layer: slow.layers[0] as never,
      layerIndex: 0,
      runId: "bake-f8-000008",
      secrets: {},
    });
    // Abort once the step runs (the serial port shows its start marker).
    await fake.waitFor(() =>
      [...fake.instances.values()].some((i) => i.serial.includes("step-start step=1")),
    );
    controller.abort();
    const error = await expectFailure(running);
    expect(error).toBeInstanceOf(InterruptedError);
    expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
  });
});

test("an abort while instances.insert is in flight still deletes the instance it created", async () => {
  fake.inject({ call: "instances.insert", kind: "slow-response" });
  const controller = new AbortController();
  const plan = testPlan({ layers: [layer("one", [runStep("true")])] });
  const resolved = await resolveParent(plan);
  const before = fake.calls("instances.insert").length;
  const running = driver.bake({
    ...context(fake, controller.signal),
    plan,
    parent: resolved,
    layer: plan.layers[0] as never,
    layerIndex: 0,
    runId: "bake-f9-000010",
    secrets: {},
  });
  await fake.waitFor(() => fake.calls("instances.insert").length > before);
  controller.abort();
  expect(await expectFailure(running)).toBeInstanceOf(InterruptedError);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
});

describe("verify", () => {
  test("a failing check fails verification, deprecates the image and leaks nothing", async () => {
    const plan = testPlan({ layers: [layer("one", [runStep("echo 1 > /v")])] });
    const { artifact } = await bakeAll(plan, "bake-v1-000009");
    const result = await driver.verify({
      ...context(fake),
      plan,
      image: { id: artifact.id, driver: "gce" },
      checks: [runCheck("passes", "test -f /v"), runCheck("fails", "test -f /missing", { retries: 1 })],
      runId: "bake-v1-000009",
      secrets: {},
    });
    expect(result.ok).toBe(false);
    expect(result.checks.map((c) => [c.name, c.ok, c.attempts])).toEqual([
      ["passes", true, 1],
      ["fails", false, 2],
    ]);
    const name = /images\/([^@]+)@/.exec(artifact.id)?.[1] ?? "";
    expect(fake.images.get(`bake-test/${name}`)?.deprecated?.state).toBe("DEPRECATED");
    expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
  });
});
