import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { collectGarbage } from "../../../src/drivers/local/gc.js";
import { processStartTime, Store } from "../../../src/drivers/local/store.js";
import { busyboxStore } from "./helpers.js";

function deadPid(): number {
  return spawnSync("true").pid as number;
}

async function setup() {
  const work = mkdtempSync(join(tmpdir(), "bake-gc-"));
  const { storeDir, base, bake } = await busyboxStore(work);
  const kept = await bake("echo kept > /kept", "run-kept");
  const dropped = await bake("echo dropped > /dropped", "run-dropped");
  const store = await Store.open(storeDir);
  const dead = deadPid();
  mkdirSync(join(storeDir, "runs", "killed-run", "layer-x", "upper"), { recursive: true });
  writeFileSync(join(storeDir, "runs", "killed-run", "pid"), `${dead} 1\n`);
  mkdirSync(join(storeDir, "runs", "live-run"), { recursive: true });
  writeFileSync(
    join(storeDir, "runs", "live-run", "pid"),
    `${process.pid} ${processStartTime(process.pid)}\n`,
  );
  writeFileSync(join(storeDir, "tmp", `blob-${dead}-abc`), "partial");
  return { work, storeDir, store, base, kept, dropped };
}

describe("gc", () => {
  test("removes dead runs' leftovers and images nothing references, and keeps live runs and referenced images", async () => {
    const { store, storeDir, base, kept, dropped } = await setup();
    const droppedImage = await store.requireImage(dropped.id);
    const droppedLayer = droppedImage.manifest.layers.at(-1)?.digest as string;
    const droppedDiff = droppedImage.config.rootfs.diff_ids.at(-1) as string;
    expect([droppedLayer, droppedDiff]).toEqual([expect.any(String), expect.any(String)]);

    const dry = await collectGarbage({ store, roots: [kept.id, base.id], dryRun: true });
    expect(dry.runs.map((r) => r.runId)).toEqual(["killed-run"]);
    expect(dry.indexEntries).toEqual([dropped.id]);
    expect(dry.blobs.map((b) => b.digest)).toEqual(expect.arrayContaining([dropped.id, droppedLayer]));
    expect(await store.image(dropped.id)).toBeDefined();
    expect(existsSync(join(storeDir, "runs", "killed-run"))).toBe(true);

    const report = await collectGarbage({ store, roots: [kept.id, base.id], dryRun: false });
    expect(report.bytes).toBeGreaterThan(0);
    expect(await store.image(dropped.id)).toBeUndefined();
    expect(existsSync(store.layerDir(droppedDiff))).toBe(false);
    expect(await store.image(kept.id)).toBeDefined();
    expect(await store.image(base.id)).toBeDefined();
    expect(readdirSync(join(storeDir, "runs"))).toEqual(["live-run"]);
    expect(readdirSync(join(storeDir, "tmp"))).toEqual([]);
    expect((await store.readIndex()).manifests.map((m) => m.digest)).not.toContain(dropped.id);
  });
});
