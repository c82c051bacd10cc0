import { existsSync, linkSync, readFileSync, symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkManifest } from "../../src/manifest/fsck.js";
import { withLock } from "../../src/manifest/lock.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { debianBase, imageInput, tempManifest } from "./helpers.js";

describe("other names of a manifest", () => {
  it("locks a manifest named through a symlink by the file the link points at", async () => {
    const { dir, path } = tempManifest();
    await openManifest(path, { create: true, env: {} });
    const link = join(dir, "link.jsonl");
    symlinkSync("bake.lineage.jsonl", link);
    const held = await withLock(link, {}, () => [existsSync(`${path}.lock`), existsSync(`${link}.lock`)]);
    expect(held).toEqual([true, false]);
  });

  it("refuses a symlink to a file that does not exist, for reading and for creating, without creating anything", async () => {
    const { dir } = tempManifest();
    const link = join(dir, "dangling.jsonl");
    symlinkSync(join(dir, "elsewhere", "lineage.jsonl"), link);
    const refusal = { code: "manifest-not-a-file", message: expect.stringContaining("which does not exist") };
    await expect(openManifest(link, { env: {} })).rejects.toMatchObject(refusal);
    await expect(openManifest(link, { create: true, env: {} })).rejects.toMatchObject(refusal);
    expect(existsSync(join(dir, "elsewhere"))).toBe(false);
  });

  it("refuses to write to or check a manifest with a second hard link, until the link is removed", async () => {
    const { dir, path } = tempManifest();
    const manifest = await openManifest(path, { create: true, env: {} });
    await manifest.register(imageInput({ lineage: "base", parent: debianBase }));
    const other = join(dir, "copy.jsonl");
    linkSync(path, other);
    const before = readFileSync(path);
    const refusal = {
      code: "manifest-hard-linked",
      message: expect.stringContaining("has 2 hard links"),
      hint: expect.stringContaining("a symlink to it is fine"),
    };
    const second = imageInput({ lineage: "base", parent: debianBase, seed: "2" });
    await expect(manifest.register(second)).rejects.toMatchObject(refusal);
    await expect((await openManifest(other, { env: {} })).register(second)).rejects.toMatchObject(refusal);
    await expect(checkManifest(path)).rejects.toMatchObject(refusal);
    expect(readFileSync(path)).toEqual(before);
    expect(existsSync(`${path}.lock`)).toBe(false);

    unlinkSync(other);
    await manifest.register(second);
    expect(await checkManifest(path)).toMatchObject({ ok: true, images: 2 });
  });
});
