import { spawnSync } from "node:child_process";
import { closeSync, fstatSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Mounts a small tmpfs (a disk that really fills up) on a fresh directory; undefined when this process cannot. */
export function mountTmpfs(size = "256k"): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "bake-tmpfs-"));
  if (spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]).status === 0) return dir;
  rmSync(dir, { recursive: true, force: true });
  return undefined;
}

export function unmountTmpfs(dir: string): void {
  spawnSync("umount", [dir]);
  rmSync(dir, { recursive: true, force: true });
}

/** Whether a tmpfs can be mounted here (root, with the capability to mount), for `describe.runIf`. */
export const canMountTmpfs = (() => {
  const dir = mountTmpfs("16k");
  if (dir === undefined) return false;
  unmountTmpfs(dir);
  return true;
})();

/** Fills the filesystem holding `dir` with a file of zeros, then frees `freePages` pages of 4 KiB. */
export function fillDisk(dir: string, freePages = 0): void {
  const fd = openSync(join(dir, "fill"), "w");
  const block = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  }
  ftruncateSync(fd, Math.max(0, fstatSync(fd).size - freePages * 4096));
  closeSync(fd);
}
