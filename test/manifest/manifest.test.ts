import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openManifest } from "../../src/manifest/manifest.js";
import { debianBase, imageInput, layerInput, tempManifest } from "./helpers.js";

describe("openManifest and register", () => {
  it("creates the file with a header and appends one canonical line per record", async () => {
    const { path } = tempManifest();
    const manifest = await openManifest(path, { create: true, env: {} });
    const record = await manifest.register(imageInput({ lineage: "base", parent: debianBase }));
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ bake: "manifest", format: "1.0" });
    expect(JSON.parse(lines[1] as string)).toEqual(record);
    expect(lines[2]).toBe("");
    expect(record.build).toBe(1);
    expect(record.id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("numbers images per lineage, also across separately opened handles", async () => {
    const { path } = tempManifest();
    const first = await openManifest(path, { create: true, env: {} });
    await first.register(imageInput({ lineage: "base", parent: debianBase, seed: "1" }));
    const second = await openManifest(path, { create: true, env: {} });
    const two = await second.register(imageInput({ lineage: "base", parent: debianBase, seed: "2" }));
    second.records();
    const three = await first.register(imageInput({ lineage: "base", parent: debianBase, seed: "3" }));
    const other = await first.register(imageInput({ lineage: "web", parent: { record: two.id } }));
    expect([two.build, three.build, other.build]).toEqual([2, 3, 1]);
    const four = await second.register(imageInput({ lineage: "base", parent: debianBase, seed: "4" }));
    expect(four.build).toBe(4);
    expect(second.records().map((record) => record.build)).toEqual([1, 2, 3, 1, 4]);
  });

  it("records CI information from the environment", async () => {
    const { path } = tempManifest();
    const manifest = await openManifest(path, {
      create: true,
      env: { GITHUB_ACTIONS: "true", GITHUB_RUN_ID: "4242", GITHUB_SHA: "abc123" },
    });
    const record = await manifest.register(imageInput({ lineage: "base", parent: debianBase }));
    expect(record.ci).toEqual({ provider: "github-actions", runId: "4242", commit: "abc123" });
  });

  it("refuses a parent that is not in the manifest", async () => {
    const { path } = tempManifest();
    const manifest = await openManifest(path, { create: true, env: {} });
    await expect(
      manifest.register(imageInput({ lineage: "web", parent: { record: `sha256:${"0".repeat(64)}` } })),
    ).rejects.toThrow(/its parent sha256:0+ is not in/);
  });

  it("finds the newest layer with a cache key and driver", async () => {
    const { path } = tempManifest();
    const manifest = await openManifest(path, { create: true, env: {} });
    const one = await manifest.register(layerInput({ lineage: "base", name: "runtime", parent: debianBase }));
    const two = await manifest.register(layerInput({ lineage: "base", name: "runtime", parent: debianBase }));
    expect(one.layer?.cacheKey).toBe(two.layer?.cacheKey);
    expect(manifest.findLayer(two.layer?.cacheKey as string, "local")?.id).toBe(two.id);
    expect(manifest.findLayer(two.layer?.cacheKey as string, "gce")).toBeUndefined();
  });

  it("reads a missing file as an empty manifest without creating it, when told mustExist: false", async () => {
    const { path } = tempManifest();
    const manifest = await openManifest(path, { mustExist: false });
    expect(manifest.records()).toEqual([]);
    expect(manifest.header()).toBeUndefined();
    expect(() => readFileSync(path)).toThrow();
  });
});
