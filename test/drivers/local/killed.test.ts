import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { collectGarbage } from "../../../src/drivers/local/gc.js";
import { Store } from "../../../src/drivers/local/store.js";
import { makeBusyboxRootfs, transpileDriver } from "./helpers.js";

// A bake process that starts a long step and reports when it runs.
const INNER = `
import { join } from "node:path";
const [lib, work, rootfs, marker] = process.argv.slice(2);
const { createDriver } = await import(join(lib, "drivers/local/index.js"));
const ctx = { cwd: work, env: { BAKE_STORE: join(work, "store") }, signal: new AbortController().signal,
  reporter: { emit(e) { if (e.type === "step-started") console.log("started"); }, close: async () => {} } };
const driver = createDriver();
const parent = await driver.resolve({ kind: "external", ref: "dir:x", scheme: "dir", location: rootfs }, ctx);
const layer = { name: "slow", inputsDigest: "sha256:1", steps: [{ kind: "run", title: "slow", script: "sleep " + marker, env: {} }] };
const plan = { apiVersion: "bake/plan/v1", lineage: "k", version: "1", recipe: { file: join(work, "r.yaml"), root: work, digest: "sha256:0" },
  parent: { kind: "external", ref: "dir:x", scheme: "dir", location: rootfs }, target: { driver: "local", options: {} },
  layers: [layer], verify: [], labels: {}, vars: {}, secrets: [] };
await driver.bake({ ...ctx, plan, parent, layer, layerIndex: 0, runId: "killed-run", secrets: {} });
`;

function sleepers(marker: string): number {
  let count = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8") === `sleep\0${marker}\0`) count += 1;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

test("a bake process killed with SIGKILL takes its sandbox with it, and bake gc removes what it left", async () => {
  const work = mkdtempSync(join(tmpdir(), "bake-killed-"));
  const lib = join(work, "lib");
  transpileDriver(lib);
  writeFileSync(join(lib, "inner.mjs"), INNER);
  const rootfs = makeBusyboxRootfs(join(work, "rootfs"));
  const marker = `${(process.pid % 80) + 20}.${Date.now() % 10000}`;
  const child: ChildProcess = spawn(process.execPath, [join(lib, "inner.mjs"), lib, work, rootfs, marker], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let started = false;
  child.stdout?.on("data", (chunk: Buffer) => {
    if (chunk.toString().includes("started")) started = true;
  });
  expect(await until(() => started && sleepers(marker) === 1, 60_000)).toBe(true);
  child.kill("SIGKILL");
  expect(await until(() => sleepers(marker) === 0, 10_000)).toBe(true);
  const store = await Store.open(join(work, "store"));
  expect(existsSync(join(work, "store", "runs", "killed-run"))).toBe(true);
  const report = await collectGarbage({ store, roots: [], dryRun: false });
  expect(report.runs.map((run) => run.runId)).toEqual(["killed-run"]);
  expect(readdirSync(join(work, "store", "runs"))).toEqual([]);
}, 120_000);
