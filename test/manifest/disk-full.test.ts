import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkManifest } from "../../src/manifest/fsck.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { canMountTmpfs, fillDisk, mountTmpfs, unmountTmpfs } from "../helpers/tmpfs.js";
import { debianBase, imageInput } from "./helpers.js";

const mounted: string[] = [];
afterEach(() => {
  for (const dir of mounted.splice(0)) unmountTmpfs(dir);
});

// A manifest with one image on a fresh 256 KiB tmpfs, its chain checkpoint written (so a writer need not write it).
async function manifestOnTmpfs() {
  const dir = mountTmpfs() as string;
  mounted.push(dir);
  const path = join(dir, "bake.lineage.jsonl");
  const manifest = await openManifest(path, { create: true, env: {} });
  const image = await manifest.register(imageInput({ lineage: "base", parent: debianBase }));
  return { dir, path, manifest, image };
}

const lockFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith(".lock"));

describe.runIf(canMountTmpfs)("a full disk", () => {
  it("refuses to write with manifest-disk-full, and leaves no lock file behind, when the lock cannot be written", async () => {
    const { dir, path, manifest, image } = await manifestOnTmpfs();
    const before = readFileSync(path);
    fillDisk(dir);
    await expect(
      manifest.appendEvent({ event: "promote", target: image.id, channel: "beta" }),
    ).rejects.toMatchObject({
      code: "manifest-disk-full",
      message: expect.stringContaining("the disk is full"),
    });
    expect(lockFiles(dir)).toEqual([]);
    expect(readFileSync(path)).toEqual(before);
    // fsck reads without the lock it cannot take.
    expect(await checkManifest(path)).toMatchObject({ ok: true, images: 1 });
  });

  it("cuts a line the disk had room for only part of back off, so the manifest is byte for byte as it was", async () => {
    const { dir, path, manifest } = await manifestOnTmpfs();
    const before = readFileSync(path);
    // One free page takes the lock file; the record (8 KiB) is longer than the room left in the manifest's last page.
    fillDisk(dir, 1);
    const big = {
      ...imageInput({ lineage: "base", parent: debianBase, seed: "2" }),
      details: { filler: "x".repeat(8192) },
    };
    await expect(manifest.register(big)).rejects.toMatchObject({ code: "manifest-disk-full" });
    expect(readFileSync(path)).toEqual(before);
    expect(lockFiles(dir)).toEqual([]);
    expect(await checkManifest(path)).toMatchObject({ ok: true, problems: [] });
  });

  it("keeps a torn tail where it is when there is no room to move it aside", async () => {
    const { dir, path, manifest, image } = await manifestOnTmpfs();
    appendFileSync(path, '{"type":"rec');
    const before = readFileSync(path);
    fillDisk(dir, 1);
    await expect(
      manifest.appendEvent({ event: "promote", target: image.id, channel: "beta" }),
    ).rejects.toMatchObject({ code: "manifest-disk-full" });
    expect(readFileSync(path)).toEqual(before);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});
