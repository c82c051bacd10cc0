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
const cacheDir = mkdtempSync(join(tmpdir(), "bake-crash-cache-"));
beforeAll(async () => {
  moduleDir = compileManifestModule();
  cluster = await startCluster();
});
afterAll(() => {
  cluster?.destroy();
  rmSync(dirname(moduleDir), { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

const WAVES = 6;
const WRITERS = 5;

describe.each(storeKinds(() => cluster).filter((kind) => kind.name !== "file"))(
  "writers killed at random moments on the $name store",
  (kind) => {
    it(`loses no acknowledged record when ${WAVES * WRITERS} writers are SIGKILLed mid-write, and fsck stays clean`, async () => {
      const location = await kind.fresh();
      const acked = new Set<string>();
      for (let wave = 0; wave < WAVES; wave++) {
        const runs = await Promise.all(
          Array.from({ length: WRITERS }, (_, index) =>
            runStoreChild({
              moduleDir,
              location,
              index: wave * WRITERS + index,
              count: 0,
              env: { BAKE_CACHE_DIR: cacheDir },
              // Some land in start-up and the first reads, the others in the write loop.
              ...(index % 2 === 0
                ? { killAfterMs: 300 + Math.floor(Math.random() * 4000) }
                : { killAfterAckMs: Math.floor(Math.random() * 1500) }),
            }),
          ),
        );
        for (const run of runs) {
          expect(run.signal, run.stderr).toBe("SIGKILL");
          for (const id of run.acks) acked.add(id);
        }
        // After every wave the store loads and holds everything acknowledged so far.
        const manifest = await openManifest(location, { create: true, env: {} });
        const present = new Set([...manifest.records(), ...manifest.events()].map((entry) => entry.id));
        for (const id of acked) expect(present.has(id)).toBe(true);
      }
      expect(acked.size).toBeGreaterThan(0);
      const report = await checkManifest(location);
      expect(report.problems).toEqual([]);
      const manifest = await openManifest(location, { create: true, env: {} });
      const builds = manifest.records().map((record) => record.build);
      expect(builds).toEqual(Array.from({ length: builds.length }, (_, i) => i + 1));
    }, 600_000);
  },
);
