import { describe, expect, it } from "vitest";
import { BakeError, BuildFailedError, InterruptedError } from "../../src/errors.js";
import { layerCacheKeys } from "../../src/plan/cache-key.js";
import { execute } from "../../src/run/execute.js";
import { EventLog, MemoryManifest, RecordingDriver, twoLayerPlan } from "./fakes.js";

const secrets = { token: "hunter2-secret" };

function options(
  driver: RecordingDriver,
  manifest: MemoryManifest,
  extra: { signal?: AbortSignal; noCache?: boolean } = {},
) {
  const reporter = new EventLog();
  return {
    reporter,
    options: {
      driver,
      manifest,
      reporter,
      signal: extra.signal ?? new AbortController().signal,
      secrets,
      cwd: "/r",
      env: {},
      ...(extra.noCache ? { noCache: true } : {}),
    },
  };
}

describe("execute", () => {
  it("bakes every layer, verifies, and registers layer records then one image record", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    const run = options(driver, manifest);
    const result = await execute(twoLayerPlan(), run.options);

    expect(result.upToDate).toBe(false);
    expect(result.bakedLayers).toEqual(["runtime", "app"]);
    expect(driver.calls.filter((c) => c.startsWith("bake") || c.startsWith("verify"))).toHaveLength(3);
    expect(manifest.list.map((r) => r.kind)).toEqual(["layer", "layer", "image"]);
    const [runtime, app, image] = manifest.list;
    expect(runtime?.parent).toEqual({
      external: { ref: "dir:/rootfs", id: expect.stringMatching(/^sha256:/) },
    });
    expect(app?.parent).toEqual({ record: runtime?.id });
    expect(image?.parent).toEqual(runtime?.parent);
    expect(image?.artifact).toBe(app?.artifact);
    expect(image?.layers?.map((l) => l.record)).toEqual([runtime?.id, app?.id]);
    expect(image?.details?.parentRef).toBe("dir:/rootfs");
    expect(result.record).toBe(image);
    expect(run.reporter.ofType("registered")[0]?.build).toBe(1);
  });

  it("uses cache keys chained on the resolved parent id", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    const plan = twoLayerPlan();
    await execute(plan, options(driver, manifest).options);
    const parentId =
      manifest.list[0]?.parent && "external" in manifest.list[0].parent
        ? manifest.list[0].parent.external.id
        : "";
    const keys = layerCacheKeys(
      parentId,
      plan.layers.map((l) => l.inputsDigest),
    );
    expect(manifest.list.slice(0, 2).map((r) => r.layer?.cacheKey)).toEqual(keys);
  });

  it("rebuilds only the layers above the first changed one", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    await execute(twoLayerPlan(), options(driver, manifest).options);
    driver.calls.length = 0;

    const result = await execute(twoLayerPlan({ appInput: "2" }), options(driver, manifest).options);
    expect(result.cachedLayers).toEqual(["runtime"]);
    expect(result.bakedLayers).toEqual(["app"]);
    expect(driver.calls.filter((c) => c.startsWith("bake"))).toEqual(["bake app"]);
    const image = manifest.list.at(-1);
    expect(image?.layers?.[0]?.record).toBe(manifest.list[0]?.id);
    expect(manifest.list.at(-2)?.parent).toEqual({ record: manifest.list[0]?.id });
    expect(image?.build).toBe(2);
  });

  it("rebuilds everything above a changed lower layer", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    await execute(twoLayerPlan(), options(driver, manifest).options);
    driver.calls.length = 0;
    const result = await execute(twoLayerPlan({ runtimeInput: "2" }), options(driver, manifest).options);
    expect(result.bakedLayers).toEqual(["runtime", "app"]);
  });

  it("does not reuse a cached layer whose artifact is gone", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    await execute(twoLayerPlan(), options(driver, manifest).options);
    driver.artifacts.delete(manifest.list[0]?.artifact ?? "");
    driver.calls.length = 0;
    const result = await execute(twoLayerPlan({ appInput: "2" }), options(driver, manifest).options);
    expect(result.bakedLayers).toEqual(["runtime", "app"]);
  });

  it("launches nothing when the same verified image is already registered", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    const first = await execute(twoLayerPlan(), options(driver, manifest).options);
    driver.calls.length = 0;
    const run = options(driver, manifest);
    const second = await execute(twoLayerPlan(), run.options);

    expect(second.upToDate).toBe(true);
    expect(second.record.id).toBe(first.record.id);
    expect(driver.calls.filter((c) => c.startsWith("bake") || c.startsWith("verify"))).toEqual([]);
    expect(manifest.list).toHaveLength(3);
    expect(run.reporter.ofType("up-to-date")).toHaveLength(1);
    expect(run.reporter.ofType("layer-started").every((e) => e.cached)).toBe(true);
  });

  it("verifies and registers again when only the verify checks changed", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    await execute(twoLayerPlan(), options(driver, manifest).options);
    driver.calls.length = 0;
    const plan = twoLayerPlan();
    plan.verify[0] = { ...(plan.verify[0] as (typeof plan.verify)[number]), retries: 3 };
    const result = await execute(plan, options(driver, manifest).options);
    expect(result.upToDate).toBe(false);
    expect(result.bakedLayers).toEqual([]);
    expect(driver.calls.filter((c) => c.startsWith("verify"))).toHaveLength(1);
    expect(manifest.list.filter((r) => r.kind === "image")).toHaveLength(2);
  });

  it("rebuilds every layer with noCache", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    await execute(twoLayerPlan(), options(driver, manifest).options);
    const result = await execute(twoLayerPlan(), options(driver, manifest, { noCache: true }).options);
    expect(result.upToDate).toBe(false);
    expect(result.bakedLayers).toEqual(["runtime", "app"]);
  });

  it("names the layer, the step and its last output lines when a step fails, with secrets hidden", async () => {
    const driver = new RecordingDriver();
    driver.failStep = { layer: "app", step: 1, output: ["compiling", "token hunter2-secret rejected"] };
    const manifest = new MemoryManifest();
    const run = options(driver, manifest);
    const error = await execute(twoLayerPlan(), run.options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BuildFailedError);
    const failure = error as BuildFailedError;
    expect(failure.exitCode).toBe(1);
    expect(failure.message).toContain('layer "app", step 2 (run: token)');
    expect(failure.detail).toContain("token *** rejected");
    expect(failure.detail).not.toContain("hunter2");
    expect(manifest.list.filter((r) => r.kind === "image")).toEqual([]);
    expect(run.reporter.ofType("build-finished")[0]?.ok).toBe(false);
  });

  it("reveals secret values only to the driver", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    const run = options(driver, manifest);
    await execute(twoLayerPlan(), run.options);
    expect(driver.envSeen).toContainEqual({ TOKEN: "hunter2-secret" });
    expect(JSON.stringify(manifest.list)).not.toContain("hunter2");
    expect(JSON.stringify(run.reporter.events)).not.toContain("hunter2");
  });

  it("registers no image when a check fails and names the check", async () => {
    const driver = new RecordingDriver();
    driver.verifyResult = {
      ok: false,
      checks: [
        { name: "os-release", ok: false, attempts: 2, durationMs: 5, message: "/etc/os-release is missing" },
      ],
    };
    const manifest = new MemoryManifest();
    const error = await execute(twoLayerPlan(), options(driver, manifest).options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildFailedError);
    expect((error as Error).message).toBe(
      'verify failed: check "os-release" failed: /etc/os-release is missing (after 2 attempt(s))',
    );
    expect(manifest.list.map((r) => r.kind)).toEqual(["layer", "layer"]);
  });

  it("stops with InterruptedError and registers nothing when aborted mid-step", async () => {
    const driver = new RecordingDriver();
    driver.hangIn = "app";
    const manifest = new MemoryManifest();
    const controller = new AbortController();
    const run = options(driver, manifest, { signal: controller.signal });
    const pending = execute(twoLayerPlan(), run.options).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new BakeError({ code: "interrupted", message: "interrupted by SIGINT", exitCode: 130 }));
    const error = await pending;
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).exitCode).toBe(130);
    expect((error as Error).message).toBe("interrupted by SIGINT");
    expect(manifest.list.filter((r) => r.kind === "image")).toEqual([]);
    expect(driver.calls).not.toContainEqual(expect.stringMatching(/^verify/));
    // Renderers tell an interruption from a failure by these flags.
    expect(run.reporter.ofType("layer-finished").at(-1)).toMatchObject({
      layer: "app",
      ok: false,
      interrupted: true,
    });
    expect(run.reporter.ofType("build-finished")[0]).toMatchObject({ ok: false, interrupted: true });
  });

  it("marks nothing interrupted when a step fails on its own", async () => {
    const driver = new RecordingDriver();
    driver.failStep = { layer: "app", step: 0, output: ["boom"] };
    const run = options(driver, new MemoryManifest());
    await execute(twoLayerPlan(), run.options).catch(() => undefined);
    const finished = [...run.reporter.ofType("step-finished"), ...run.reporter.ofType("build-finished")];
    expect(finished.some((event) => !event.ok)).toBe(true);
    expect(finished.every((event) => event.interrupted === undefined)).toBe(true);
  });

  it("builds on a lineage parent's image and records the floating reference and the exact record", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    const base = await execute({ ...twoLayerPlan(), lineage: "base" }, options(driver, manifest).options);
    const plan = twoLayerPlan({ parent: { kind: "lineage", ref: "base", lineage: "base" } });
    const result = await execute(plan, options(driver, manifest).options);
    expect(result.record.parent).toEqual({ record: base.record.id });
    expect(result.record.details?.parentRef).toBe("base");
    expect(result.record.details?.parentId).toBe(base.record.artifact);
    expect(manifest.list.at(-3)?.parent).toEqual({ record: base.record.id });
  });

  it("refuses a revoked lineage parent with exit 2", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    const base = await execute({ ...twoLayerPlan(), lineage: "base" }, options(driver, manifest).options);
    manifest.revoked.add(base.record.id);
    const plan = twoLayerPlan({ parent: { kind: "lineage", ref: "base", lineage: "base" } });
    const error = await execute(plan, options(driver, manifest).options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BakeError);
    expect((error as BakeError).code).toBe("parent-revoked");
    expect((error as BakeError).exitCode).toBe(2);
    expect((error as Error).message).toContain("revoked: CVE");
  });

  it("refuses a lineage parent whose image no longer exists in the driver", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    const base = await execute({ ...twoLayerPlan(), lineage: "base" }, options(driver, manifest).options);
    driver.artifacts.delete(base.record.artifact);
    const plan = twoLayerPlan({ parent: { kind: "lineage", ref: "base", lineage: "base" } });
    const error = await execute(plan, options(driver, manifest).options).catch((e: unknown) => e);
    expect((error as BakeError).code).toBe("parent-missing");
  });

  it("refuses a lineage parent built by another driver", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    await manifest.register({
      kind: "image",
      lineage: "base",
      version: "1.0.0",
      parent: { external: { ref: "gce:debian-12", id: "gce:123" } },
      driver: "gce",
      artifact: "projects/p/global/images/base-1",
      recipeDigest: "sha256:00",
    });
    const plan = twoLayerPlan({ parent: { kind: "lineage", ref: "base", lineage: "base" } });
    const error = await execute(plan, options(driver, manifest).options).catch((e: unknown) => e);
    expect((error as BakeError).code).toBe("parent-driver-mismatch");
    expect((error as BakeError).hint).toContain("--target local");
    expect(driver.calls.filter((c) => c.startsWith("bake"))).toEqual([]);
  });

  it("registers a new image on a parent rebuilt into the same artifact, linking the new parent record", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    const baseOptions = (extra: { noCache?: boolean } = {}) => options(driver, manifest, extra).options;
    await execute({ ...twoLayerPlan(), lineage: "base" }, baseOptions());
    const plan = twoLayerPlan({ parent: { kind: "lineage", ref: "base", lineage: "base" } });
    const first = await execute(plan, baseOptions());
    const rebuiltBase = await execute({ ...twoLayerPlan(), lineage: "base" }, baseOptions({ noCache: true }));
    expect(rebuiltBase.record.artifact).toBe(first.record.details?.parentId);

    const second = await execute(plan, baseOptions());
    expect(second.upToDate).toBe(false);
    expect(second.bakedLayers).toEqual([]);
    expect(second.record.parent).toEqual({ record: rebuiltBase.record.id });
  });

  it("names the layer and step of a step that timed out, with exit 1", async () => {
    const driver = new RecordingDriver();
    driver.failStep = { layer: "runtime", step: 0, output: ["still installing"], timeout: true };
    const error = await execute(twoLayerPlan(), options(driver, new MemoryManifest()).options).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BuildFailedError);
    expect((error as BuildFailedError).code).toBe("step-timeout");
    expect((error as Error).message).toBe(
      'layer "runtime", step 1 (run: install) failed: timed out after 5s',
    );
  });

  it("hides secrets in a driver's bad-input error, keeping its code and exit code", async () => {
    const driver = new RecordingDriver();
    driver.bake = async () => {
      throw new BakeError({
        code: "sandbox-bind",
        message: `cannot mount with option ${secrets.token}`,
        hint: `drop ${secrets.token}`,
      });
    };
    const error = await execute(twoLayerPlan(), options(driver, new MemoryManifest()).options).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BakeError);
    expect(error).toMatchObject({ code: "sandbox-bind", exitCode: 2 });
    expect((error as BakeError).message).toBe("cannot mount with option ***");
    expect((error as BakeError).hint).toBe("drop ***");
  });

  it("keeps a driver's own hint when a layer fails, such as a quota error", async () => {
    const driver = new RecordingDriver();
    driver.bake = async () => {
      throw new BuildFailedError({
        code: "gce-api",
        message: "Compute Engine call instances.insert failed (HTTP 403 quotaExceeded)",
        hint: "raise the CPUS quota of the region or use a smaller machineType",
      });
    };
    const error = await execute(twoLayerPlan(), options(driver, new MemoryManifest()).options).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BuildFailedError);
    expect((error as BakeError).message).toContain('layer "runtime"');
    expect((error as BakeError).hint).toBe("raise the CPUS quota of the region or use a smaller machineType");
  });

  it("passes a sandbox the machine cannot make through as bad input (exit 2)", async () => {
    const driver = new RecordingDriver();
    driver.bake = async () => {
      throw new BakeError({
        code: "sandbox-unavailable",
        message: "cannot create a sandbox",
        hint: "use --target packer",
      });
    };
    const error = await execute(twoLayerPlan(), options(driver, new MemoryManifest()).options).catch(
      (e: unknown) => e,
    );
    expect((error as BakeError).code).toBe("sandbox-unavailable");
    expect((error as BakeError).exitCode).toBe(2);
  });

  it("builds on a deprecated lineage parent with a warning", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    const base = await execute({ ...twoLayerPlan(), lineage: "base" }, options(driver, manifest).options);
    manifest.deprecated.add(base.record.id);
    const plan = twoLayerPlan({ parent: { kind: "lineage", ref: "base", lineage: "base" } });
    const run = options(driver, manifest);
    await execute(plan, run.options);
    expect(run.reporter.ofType("note").map((e) => e.message)).toEqual([
      "warning: parent base 1.0.0 build 1 is deprecated: old",
    ]);
  });
});
