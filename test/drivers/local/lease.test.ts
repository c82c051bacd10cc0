import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { collectGarbage } from "../../../src/drivers/local/gc.js";
import { processStartTime, Store } from "../../../src/drivers/local/store.js";
import { openManifest } from "../../../src/manifest/manifest.js";
import { ensureBuilt } from "../../helpers/compiled-cli.js";
import { bakeArgv, bakeCli, busyboxStore, makeBusyboxRootfs } from "./helpers.js";

// Issue 10.9: a `bake gc` between two layers of a live build dropped the newest layer before it was recorded.

beforeAll(ensureBuilt, 300_000);

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function indexEntries(store: string): { digest: string; annotations?: Record<string, string> }[] {
  try {
    return JSON.parse(readFileSync(join(store, "index.json"), "utf8")).manifests;
  } catch {
    return [];
  }
}

describe("gc and live builds", () => {
  test("a gc between two layers of a live build (compiled CLI) keeps the layer it has not recorded yet", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bake-lease-"));
    makeBusyboxRootfs(join(dir, "rootfs"));
    writeFileSync(
      join(dir, "recipe.yaml"),
      `apiVersion: bake/v1
name: gap
from: dir:./rootfs
target: { driver: local, network: none }
layers:
  - name: one
    steps: [{ run: "echo one > /one" }]
  - name: two
    steps: [{ run: "cat /one > /two" }]
verify:
  - run: test "$(cat /two)" = one
`,
    );
    // The manifest exists (bake gc refuses a missing one, and a build creates one under its lock), and holding its
    // lock keeps the build waiting to record layer one: the gap between two layers, widened.
    await openManifest(join(dir, "bake.lineage.jsonl"), { create: true, env: {} });
    const lock = join(dir, "bake.lineage.jsonl.lock");
    writeFileSync(
      lock,
      JSON.stringify({ pid: process.pid, host: hostname(), token: "test", since: new Date().toISOString() }),
    );
    const [node, ...args] = bakeArgv(["build", "recipe.yaml"]) as [string, ...string[]];
    const child = spawn(node, args, { cwd: dir, env: { PATH: process.env.PATH, CI: "true" }, stdio: "pipe" });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
    const store = join(dir, ".bake");
    try {
      await until(
        () => indexEntries(store).some((entry) => entry.annotations?.["dev.bake.kind"] === "layer"),
        12_000,
      );
      const layerOne = indexEntries(store).find(
        (entry) => entry.annotations?.["dev.bake.kind"] === "layer",
      )?.digest;
      const manifest = join(dir, "bake.lineage.jsonl");
      expect(existsSync(manifest) ? readFileSync(manifest, "utf8") : "").not.toContain('"kind":"layer"');

      const gc = await bakeCli(["gc", "--json"], { cwd: dir });
      expect(gc.code).toBe(0);
      const report = JSON.parse(gc.stdout) as {
        indexEntries: string[];
        blobs: unknown[];
        layerDirs: unknown[];
      };
      expect(report.indexEntries).toEqual([]);
      expect(report.blobs).toEqual([]);
      expect(report.layerDirs).toEqual([]);
      expect(indexEntries(store).map((entry) => entry.digest)).toContain(layerOne);
    } finally {
      unlinkSync(lock);
    }
    expect(await exited, output).toBe(0);
    // Once the build is over (and recorded), its lease is gone and gc still removes nothing it recorded.
    expect(spawnSync("ls", [join(store, "leases")], { encoding: "utf8" }).stdout).toBe("");
    const after = await bakeCli(["gc", "--json"], { cwd: dir });
    expect(JSON.parse(after.stdout).indexEntries).toEqual([]);
  }, 120_000);

  test("a lease keeps its images only while its process lives (pid and start time), and gc removes stale ones", async () => {
    const work = mkdtempSync(join(tmpdir(), "bake-lease-unit-"));
    const { storeDir, base, bake } = await busyboxStore(work);
    const held = await bake("echo held > /held");
    const stale = await bake("echo stale > /stale");
    const store = await Store.open(storeDir);
    // Another live process (a sleeping child) holds one image; a dead one held the other.
    const sleeper = spawn("sleep", ["30"]);
    const dead = spawnSync("true").pid as number;
    mkdirSync(join(storeDir, "leases"), { recursive: true });
    const live = {
      pid: sleeper.pid,
      start: processStartTime(sleeper.pid as number),
      since: Date.now(),
      images: [held.id],
    };
    writeFileSync(join(storeDir, "leases", `${sleeper.pid}-${live.start}.json`), JSON.stringify(live));
    const gone = { pid: dead, start: "1", since: 0, images: [stale.id] };
    writeFileSync(join(storeDir, "leases", `${dead}-1.json`), JSON.stringify(gone));
    try {
      const report = await collectGarbage({ store, roots: [base.id], dryRun: false });
      expect(report.indexEntries).toEqual([stale.id]);
      expect(report.temps).toContain(join(storeDir, "leases", `${dead}-1.json`));
      expect(await store.image(held.id)).toBeDefined();
      expect(await store.image(stale.id)).toBeUndefined();
    } finally {
      sleeper.kill("SIGKILL");
    }
    await new Promise((resolve) => sleeper.once("exit", resolve));
    const later = await collectGarbage({ store, roots: [base.id], dryRun: false });
    expect(later.indexEntries).toEqual([held.id]);
  }, 60_000);
});
