import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { createDriver } from "../../../src/drivers/local/index.js";
import { runInSandbox } from "../../../src/drivers/local/sandbox.js";
import { InterruptedError } from "../../../src/errors.js";
import { layer, makeBusyboxRootfs, plan, recordingReporter, run } from "./helpers.js";

// Processes running exactly `sleep MARKER` (not the shells and launchers whose arguments mention it).
function sleepers(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8") === `sleep\0${marker}\0`) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

test("aborting mid-step kills every process of the sandbox and leaves no mounts or directories", async () => {
  const work = mkdtempSync(join(tmpdir(), "bake-abort-"));
  const rootfs = makeBusyboxRootfs(join(work, "rootfs"));
  const storeDir = join(work, "store");
  const marker = `${300 + (process.pid % 100)}.${Date.now() % 100000}`;
  const controller = new AbortController();
  const reporter = recordingReporter();
  const ctx = { cwd: work, env: { BAKE_STORE: storeDir }, signal: controller.signal, reporter };
  const driver = createDriver();
  const base = await driver.resolve(
    { kind: "external", ref: "dir:./rootfs", scheme: "dir", location: rootfs },
    ctx,
  );
  const p = plan({
    root: work,
    layers: [layer("slow", [run(`sleep ${marker} & sleep ${marker}; echo never`)])],
  });
  const baking = driver.bake({
    ...ctx,
    plan: p,
    parent: base,
    layer: p.layers[0]!,
    layerIndex: 0,
    runId: "abort",
    secrets: {},
  });
  const outcome = baking.then(
    () => undefined,
    (error: unknown) => error,
  );
  const deadline = Date.now() + 60_000;
  while (sleepers(marker).length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(sleepers(marker).length).toBe(2);
  controller.abort(new InterruptedError("interrupted by SIGINT"));
  const error = await outcome;
  expect(error).toBeInstanceOf(InterruptedError);
  expect(sleepers(marker)).toEqual([]);
  expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(storeDir);
  expect(readdirSync(join(storeDir, "runs"))).toEqual([]);
  expect(readdirSync(join(storeDir, "tmp"))).toEqual([]);
  expect(reporter.events.some((event) => event.type === "output" && event.line === "never")).toBe(false);
}, 120_000);

test("an abort that lands at any moment of sandbox setup still stops the step", async () => {
  const work = mkdtempSync(join(tmpdir(), "bake-abort-setup-"));
  const rootfs = makeBusyboxRootfs(join(work, "rootfs"));
  // Delays spread over setup: scratch dirs, the namespace handshake, id maps, overlay mounts.
  for (const delayMs of [0, 2, 5, 10, 20, 40, 80]) {
    const marker = `${400 + (process.pid % 100)}.${delayMs}${Date.now() % 100000}`;
    const controller = new AbortController();
    const output: string[] = [];
    const running = runInSandbox({
      lowerDirs: [rootfs],
      argv: ["/bin/sh", "-c", `sleep ${marker}; echo finished`],
      env: {},
      network: "none",
      scratchDir: join(work, "scratch"),
      signal: controller.signal,
      onOutput: (_stream, line) => output.push(line),
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    setTimeout(() => controller.abort(new InterruptedError("interrupted by SIGINT")), delayMs);
    const error = await running;
    expect(error, `abort after ${delayMs} ms`).toBeInstanceOf(InterruptedError);
    expect(output).not.toContain("finished");
    expect(sleepers(marker)).toEqual([]);
  }
  expect(readdirSync(join(work, "scratch"))).toEqual([]);
}, 120_000);
