import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkManifest } from "../../src/manifest/fsck.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { imageInput, tempManifest } from "./helpers.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/manifests");

describe("manifest format versions", () => {
  it("refuses a manifest from a newer major format with an upgrade message", async () => {
    const { path } = tempManifest();
    copyFileSync(join(fixtures, "format-2.0.jsonl"), path);
    await expect(openManifest(path)).rejects.toMatchObject({
      code: "manifest-too-new",
      message: expect.stringContaining(
        "this manifest was written by a newer bake (format 2.x); upgrade bake",
      ),
    });
  });

  it("migrates a format 0.9 manifest on read, keeps its ids, and appends to it", async () => {
    const { path } = tempManifest();
    copyFileSync(join(fixtures, "format-0.9.jsonl"), path);
    const manifest = await openManifest(path, { create: true, env: {} });
    const web = manifest.resolve("web@stable");
    expect(web).toMatchObject({
      type: "record",
      lineage: "web",
      build: 1,
      createdAt: "2025-06-01T10:02:00.000Z",
    });
    expect(manifest.ancestry(web.id).base).toEqual({
      ref: "docker-archive:./debian.tar",
      id: expect.any(String),
    });
    expect((await checkManifest(path)).problems).toEqual([]);
    const next = await manifest.register(imageInput({ lineage: "web", parent: { record: web.id } }));
    expect(next.build).toBe(2);
    expect((await checkManifest(path)).problems).toEqual([]);
  });

  it("never overwrites a file that is not a manifest", async () => {
    const { path } = tempManifest();
    writeFileSync(path, "name: web\nversion: 1\n");
    await expect(openManifest(path)).rejects.toMatchObject({ code: "manifest-invalid" });
    expect(readFileSync(path, "utf8")).toBe("name: web\nversion: 1\n");
  });
});
