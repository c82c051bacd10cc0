import { appendFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadManifestFile } from "../../src/manifest/load.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { buildFleet, tempManifest } from "./helpers.js";
import { writeLargeManifest } from "./large.js";

describe("indexing a large manifest", () => {
  it("lets timers run while it builds the index of 20,000 records on open", async () => {
    const { path } = tempManifest();
    writeLargeManifest(path, 20_000);
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 1);
    const started = performance.now();
    let manifest: Awaited<ReturnType<typeof openManifest>>;
    try {
      manifest = await openManifest(path);
    } finally {
      clearInterval(timer);
    }
    const took = performance.now() - started;
    expect(manifest.records()).toHaveLength(20_000);
    // Indexed in one go, the event loop would stall for most of the open: timers could not fire in between.
    // In batches, they keep firing throughout, and no gap between them comes near the whole.
    const gaps = ticks.map((tick, i) => tick - (ticks[i - 1] ?? started));
    gaps.push(took - ((ticks[ticks.length - 1] ?? started) - started));
    expect(ticks.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...gaps)).toBeLessThan(took / 3);
  });

  it("blocks the event loop when opened lazily, which is why the CLI alone uses it", async () => {
    const { path } = tempManifest();
    writeLargeManifest(path, 20_000);
    const manifest = await openManifest(path, { lazy: true });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      expect(manifest.records()).toHaveLength(20_000);
      expect(ticks).toBe(0);
    } finally {
      clearInterval(timer);
    }
  });
});

describe("indexing images only", () => {
  it("reads a last line shorter than a record's first field as unreadable instead of comparing past the end", async () => {
    const { path } = tempManifest();
    const manifest = await openManifest(path, { create: true, env: {} });
    await buildFleet(manifest);
    appendFileSync(path, "x\n");
    const loaded = loadManifestFile(path, { skipLayers: true });
    expect(loaded.state.unreadable).toEqual([{ line: 13, message: expect.stringContaining("not JSON") }]);
    expect(loaded.state.imagesByLineage.get("web")).toHaveLength(3);
  });
});
