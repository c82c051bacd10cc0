import { realpathSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { BakeError } from "../errors.js";

/**
 * The lock file that covers a manifest: `<real path>.lock`, symlinks resolved (the file's, or its directory's while
 * the file does not exist yet), so every spelling of one file (a symlink, `./a/../b`) serialises on one lock.
 */
export function lockPathFor(target: string): string {
  try {
    return `${realpathSync(target)}.lock`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return join(realpathSync(dirname(target)), `${basename(target)}.lock`);
  }
}

/**
 * Refuses a manifest with more than one hard link: its other names take other lock files, so writers through them
 * would overwrite each other's lines. Checked under the lock, where bake's own creation (a link, then an unlink of
 * the temporary name) cannot be half done.
 */
export function refuseHardLinks(target: string): void {
  let links: number;
  try {
    links = statSync(target).nlink;
  } catch {
    return; // not there yet: whoever creates it does so under this lock
  }
  if (links <= 1) return;
  throw new BakeError({
    code: "manifest-hard-linked",
    message: `${target} has ${links} hard links; bake locks a manifest by its name, and no lock covers a file's other names, so writers through them could overwrite each other's lines`,
    hint: `remove its other names, keeping one (\`find MOUNTPOINT -xdev -samefile ${target}\` lists them, MOUNTPOINT being its filesystem's); a symlink to it is fine`,
  });
}
