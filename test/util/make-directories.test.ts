import { mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { makeDirectories, makeDirectoriesAsync } from "../../src/util/make-directories.js";
import { ensureBuilt, runBake } from "../helpers/compiled-cli.js";

const work = () => mkdtempSync(join(tmpdir(), "bake-mkdirs-"));

describe.each([
  ["makeDirectories", async (path: string) => makeDirectories(path)],
  ["makeDirectoriesAsync", (path: string) => makeDirectoriesAsync(path)],
])("%s", (_name, make) => {
  test("makes every missing level, and is content with what exists", async () => {
    const dir = work();
    await make(join(dir, "a/b/c"));
    await make(join(dir, "a/b/c"));
    await make(join(dir, "a"));
    expect(statSync(join(dir, "a/b/c")).isDirectory()).toBe(true);
  });

  test("fails, and returns, where mkdir says ENOENT under a parent that exists (/proc)", async () => {
    // Node's { recursive: true } never returns here.
    // ENOENT as root; EACCES for another user.
    await expect(Promise.resolve().then(() => make("/proc/bake-no-such/x/y"))).rejects.toMatchObject({
      code: expect.stringMatching(/^(ENOENT|EACCES)$/),
    });
  });

  test("fails with mkdir's error for a file in the way", async () => {
    const dir = work();
    writeFileSync(join(dir, "file"), "");
    await expect(Promise.resolve().then(() => make(join(dir, "file/x")))).rejects.toMatchObject({
      code: "ENOTDIR",
    });
    await expect(Promise.resolve().then(() => make(join(dir, "file")))).rejects.toMatchObject({
      code: "EEXIST",
    });
  });

  test("lets another process make a level meanwhile", async () => {
    const dir = work();
    mkdirSync(join(dir, "x"));
    await Promise.all([make(join(dir, "x/y/z")), make(join(dir, "x/y/w")), make(join(dir, "x/y"))]);
    expect(statSync(join(dir, "x/y/z")).isDirectory()).toBe(true);
  });
});

describe("paths bake cannot make under /proc", () => {
  beforeAll(ensureBuilt, 300_000);

  test("end at once with exit 2 instead of spinning: --manifest, BAKE_STORE and bake init", async () => {
    const dir = work();
    writeFileSync(
      join(dir, "recipe.yaml"),
      "apiVersion: bake/v1\nname: app\nversion: '1'\nfrom: dir:./rootfs\nlayers:\n  - name: a\n    steps:\n      - run: echo hi\n",
    );
    mkdirSync(join(dir, "rootfs"));
    const runs = await Promise.all([
      runBake(["build", "recipe.yaml", "--manifest", "/proc/bake-no-such/m.jsonl"], {
        cwd: dir,
        timeoutMs: 20_000,
      }),
      runBake(["build", "recipe.yaml"], {
        cwd: dir,
        env: { BAKE_STORE: "/proc/bake-no-such" },
        timeoutMs: 20_000,
      }),
      runBake(["init", "/proc/bake-no-such"], { cwd: dir, timeoutMs: 20_000 }),
    ]);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/cannot create .*\/proc\/bake-no-such.*: (ENOENT|EACCES)/);
      expect(run.stderr).not.toContain("internal error");
    }
  });
});
