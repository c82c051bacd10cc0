import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gatherInputs } from "../../src/plan/inputs.js";
import { loadRecipeOrThrow } from "../../src/recipe/load.js";
import type { Recipe } from "../../src/recipe/types.js";
import { makeRecipe } from "./make-recipe.js";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "bake-inputs-"));
  await writeFile(path.join(root, "recipe.yaml"), "apiVersion: bake/v1\n");
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function copying(...sources: string[]): Recipe {
  return makeRecipe(root, {
    layers: [{ name: "files", steps: sources.map((from) => ({ kind: "copy" as const, from, to: "/opt/" })) }],
  });
}

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

describe("gatherInputs", () => {
  it("hashes a file that two overlapping sources copy to the same digest, and reads it again on the next call", async () => {
    await mkdir(path.join(root, "files/lib"), { recursive: true });
    const file = path.join(root, "files/lib/run.sh");
    await writeFile(file, "echo one\n");
    const first = await gatherInputs(copying("files/", "files/lib/", "files/lib/run.sh"));
    const entry = { type: "file", size: 9, digest: sha("echo one\n") };
    expect(first.copies["files/"]).toContainEqual(expect.objectContaining({ path: "lib/run.sh", ...entry }));
    expect(first.copies["files/lib/"]).toContainEqual(expect.objectContaining({ path: "run.sh", ...entry }));
    expect(first.copies["files/lib/run.sh"]).toEqual([expect.objectContaining({ path: "", ...entry })]);
    // Same size, same mtime: only reading the file again can see the change. Nothing is kept between calls.
    const before = await stat(file);
    await writeFile(file, "echo two\n");
    await utimes(file, before.atime, before.mtime);
    const second = await gatherInputs(copying("files/", "files/lib/", "files/lib/run.sh"));
    for (const entries of Object.values(second.copies)) {
      expect(entries).toContainEqual(expect.objectContaining({ size: 9, digest: sha("echo two\n") }));
      expect(entries).not.toContainEqual(expect.objectContaining({ digest: sha("echo one\n") }));
    }
  });

  it("digests the recipe file's bytes", async () => {
    const inputs = await gatherInputs(copying());
    expect(inputs.recipeDigest).toBe(sha("apiVersion: bake/v1\n"));
    expect(inputs.copies).toEqual({});
  });

  it("digests the bytes a loaded recipe was validated from, even when the file changed since", async () => {
    const text =
      "apiVersion: bake/v1\nname: read-once\nfrom: dir:./rootfs\nlayers:\n  - name: a\n    steps:\n      - run: echo one\n";
    await writeFile(path.join(root, "recipe.yaml"), text);
    const { recipe } = await loadRecipeOrThrow(path.join(root, "recipe.yaml"));
    await writeFile(path.join(root, "recipe.yaml"), text.replace("echo one", "echo two"));
    expect((await gatherInputs(recipe)).recipeDigest).toBe(sha(text));
    // A copy of the recipe object is not the one that was read: it has only the file to go by.
    expect((await gatherInputs({ ...recipe })).recipeDigest).toBe(sha(text.replace("echo one", "echo two")));
  });

  it("records a single file source under the empty path", async () => {
    await writeFile(path.join(root, "motd"), "hello\n");
    await chmod(path.join(root, "motd"), 0o640);
    const inputs = await gatherInputs(copying("motd"));
    expect(inputs.copies.motd).toEqual([
      { path: "", type: "file", mode: 0o640, size: 6, digest: sha("hello\n") },
    ]);
  });

  it("walks a directory in sorted order with types, modes and symlink targets", async () => {
    await mkdir(path.join(root, "app/b"), { recursive: true });
    await writeFile(path.join(root, "app/z.txt"), "z");
    await writeFile(path.join(root, "app/b/a.sh"), "#!/bin/sh\n");
    await chmod(path.join(root, "app/b/a.sh"), 0o755);
    await chmod(path.join(root, "app/b"), 0o750);
    await symlink("b/a.sh", path.join(root, "app/link"));
    const inputs = await gatherInputs(copying("app/"));
    expect(inputs.copies["app/"]).toEqual([
      { path: "b", type: "dir", mode: 0o750 },
      { path: "b/a.sh", type: "file", mode: 0o755, size: 10, digest: sha("#!/bin/sh\n") },
      { path: "link", type: "symlink", mode: expect.any(Number), target: "b/a.sh" },
      { path: "z.txt", type: "file", mode: expect.any(Number), size: 1, digest: sha("z") },
    ]);
  });

  it("sorts entries by plain path order, whatever the directory order", async () => {
    await mkdir(path.join(root, "tree/a"), { recursive: true });
    await writeFile(path.join(root, "tree/a/b"), "b");
    await writeFile(path.join(root, "tree/a-c"), "c");
    await writeFile(path.join(root, "tree/B"), "B");
    const inputs = await gatherInputs(copying("tree"));
    expect(inputs.copies.tree?.map((entry) => entry.path)).toEqual(["B", "a", "a-c", "a/b"]);
  });

  it("refuses a special file inside a source and names it", async () => {
    await mkdir(path.join(root, "special"));
    const { execFileSync } = await import("node:child_process");
    execFileSync("mkfifo", [path.join(root, "special", "pipe")]);
    await expect(gatherInputs(copying("special"))).rejects.toMatchObject({
      code: "copy-source-unsupported",
      message: expect.stringContaining('"pipe" in "special"'),
    });
  });

  it("keys each source as written and gathers a repeated source once", async () => {
    await writeFile(path.join(root, "a"), "a");
    const recipe = copying("a", "./a", "a");
    const inputs = await gatherInputs(recipe);
    expect(Object.keys(inputs.copies).sort()).toEqual(["./a", "a"]);
  });

  it("refuses a missing source", async () => {
    await expect(gatherInputs(copying("nope"))).rejects.toMatchObject({ code: "copy-missing" });
  });

  it("refuses a source that escapes the recipe root through a symlink", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "bake-outside-"));
    try {
      await symlink(outside, path.join(root, "escape"));
      await expect(gatherInputs(copying("escape"))).rejects.toMatchObject({ code: "copy-symlink-escape" });
      await expect(gatherInputs(copying("../"))).rejects.toMatchObject({ code: "copy-outside-root" });
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
