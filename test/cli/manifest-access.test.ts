import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, linkSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { bakeBin, ensureBuilt } from "../helpers/compiled-cli.js";
import { canMountTmpfs, fillDisk, mountTmpfs, unmountTmpfs } from "../helpers/tmpfs.js";
import { fleetDir, runCompiled } from "../manifest/cli-helpers.js";

const isRoot = process.getuid?.() === 0;
const hasRunuser = isRoot && spawnSync("runuser", ["--help"]).status === 0;
const canChattr = isRoot && spawnSync("chattr", ["--help"]).error === undefined;

beforeAll(() => ensureBuilt(), 300_000);

const mounted: string[] = [];
afterEach(() => {
  for (const dir of mounted.splice(0)) unmountTmpfs(dir);
});

// The compiled CLI as the unprivileged user `nobody`, for whom file modes count.
function runAsNobody(args: string[], cwd: string) {
  const result = spawnSync("runuser", ["-u", "nobody", "--", process.execPath, bakeBin, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, stderr: result.stderr };
}

describe("a manifest bake cannot write", () => {
  it.runIf(hasRunuser)(
    "refuses a read-only manifest with exit 2 saying bake needs write access, before a build does any work",
    async () => {
      const { dir, path } = await fleetDir();
      chmodSync(dir, 0o777);
      chmodSync(path, 0o444);
      const before = readFileSync(path);
      const promote = runAsNobody(["promote", "web#1", "beta"], dir);
      expect(promote.stderr).toContain(
        `bake needs write access to ${path}, and the system refused it (EACCES)`,
      );
      expect(promote.stderr).not.toContain("internal error");
      expect(promote.code).toBe(2);
      // The recipe does not exist: a build that checked it (or started work) first would say so instead.
      const build = runAsNobody(["build", "missing/recipe.yaml"], dir);
      expect(build.stderr).toContain(`bake needs write access to ${path}`);
      expect(build.code).toBe(2);
      expect(readFileSync(path)).toEqual(before);
    },
  );

  it.runIf(canChattr)("refuses an immutable manifest (EPERM, even for root) with exit 2", async () => {
    const { dir, path } = await fleetDir();
    if (spawnSync("chattr", ["+i", path]).status !== 0) return; // a filesystem without the attribute
    try {
      const run = runCompiled(["promote", "web#1", "beta"], { cwd: dir });
      expect(run.stderr).toContain("the system refused it (EPERM)");
      expect(run.stderr).toContain("chattr -i");
      expect(run.code).toBe(2);
    } finally {
      spawnSync("chattr", ["-i", path]);
    }
  });

  it("refuses a manifest with a second hard link, for writes and fsck, with exit 2", async () => {
    const { dir, path } = await fleetDir();
    linkSync(path, join(dir, "other.jsonl"));
    for (const args of [
      ["promote", "web#1", "beta"],
      ["fsck", "--manifest", "other.jsonl"],
    ]) {
      const run = runCompiled(args, { cwd: dir });
      expect(run.stderr).toContain("has 2 hard links");
      expect(run.code).toBe(2);
    }
  });

  it.runIf(canMountTmpfs)(
    "says the disk is full with exit 2, leaving the manifest as it was and no lock file; fsck still checks it",
    async () => {
      const fleet = await fleetDir();
      const disk = mountTmpfs() as string;
      mounted.push(disk);
      const path = join(disk, "bake.lineage.jsonl");
      copyFileSync(fleet.path, path);
      const before = readFileSync(path);
      fillDisk(disk);
      const env = { BAKE_MANIFEST: path };
      const promote = runCompiled(["promote", "web#1", "beta"], { cwd: fleet.dir, env });
      expect(promote.stderr).toContain("the disk is full (ENOSPC)");
      expect(promote.stderr).not.toContain("internal error");
      expect(promote.code).toBe(2);
      expect(readdirSync(disk).filter((name) => name.endsWith(".lock"))).toEqual([]);
      expect(readFileSync(path)).toEqual(before);
      const fsck = runCompiled(["fsck"], { cwd: fleet.dir, env });
      expect(fsck.stderr).toBe("");
      expect(fsck.code).toBe(0);
    },
  );
});
