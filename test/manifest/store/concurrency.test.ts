import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkManifest } from "../../../src/manifest/fsck.js";
import { openManifest } from "../../../src/manifest/manifest.js";
import { compileManifestModule } from "../harness/compile.js";
import { runStoreChild } from "./drill.js";
import { startCluster, type TestCluster } from "./postgres-cluster.js";
import { storeKinds } from "./store-kinds.js";

let cluster: TestCluster;
let moduleDir: string;
const cacheDir = mkdtempSync(join(tmpdir(), "bake-cache-"));
beforeAll(async () => {
  moduleDir = compileManifestModule();
  cluster = await startCluster();
});
afterAll(() => {
  cluster?.destroy();
  rmSync(dirname(moduleDir), { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

const kinds = storeKinds(() => cluster).filter((kind) => kind.name !== "file");

describe.each(kinds)("concurrent writers on the $name store", (kind) => {
  it("keeps all 200 images and 40 promotions from 8 processes writing at once, builds 1..200 without gaps, fsck clean", async () => {
    const location = await kind.fresh();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        // Each writer with its own cache, as on separate CI runners.
        runStoreChild({
          moduleDir,
          location,
          index,
          count: 25,
          env: { BAKE_CACHE_DIR: join(cacheDir, String(index)) },
        }),
      ),
    );
    for (const result of results) {
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.acks).toHaveLength(30);
    }
    const manifest = await openManifest(location, { create: true, env: {} });
    const ids = new Set([...manifest.records(), ...manifest.events()].map((entry) => entry.id));
    expect(ids.size).toBe(240);
    for (const result of results) for (const id of result.acks) expect(ids.has(id)).toBe(true);
    const builds = manifest.records().map((record) => record.build);
    expect(builds).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const report = await checkManifest(location);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, images: 200, events: 40 });
  }, 600_000);
});
