import { join } from "node:path";
import { chmod, readdir, rm } from "../../util/fs-async.js";
import type { IdMapping } from "./idmap.js";
import { runAsSandboxRoot } from "./namespace.js";

/**
 * Removes a directory tree a sandbox wrote. Overlay work dirs are mode 000 and, with subordinate ids, files may
 * belong to ids the caller only owns inside a user namespace, so the last resort is `rm -rf` as the sandbox's root.
 */
export async function removeTree(path: string, mapping: IdMapping): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true, maxRetries: 2 });
    return;
  } catch {
    // Fall through: make directories writable, then retry.
  }
  await makeWritable(path);
  try {
    await rm(path, { recursive: true, force: true });
    return;
  } catch (error) {
    if (mapping.kind === "identity") throw error;
  }
  await runAsSandboxRoot({ argv: ["rm", "-rf", "--", path], mapping });
}

async function makeWritable(path: string): Promise<void> {
  try {
    await chmod(path, 0o700);
    for (const entry of await readdir(path, { withFileTypes: true })) {
      if (entry.isDirectory()) await makeWritable(join(path, entry.name));
    }
  } catch {
    // Not ours to change; the namespaced rm handles it.
  }
}
