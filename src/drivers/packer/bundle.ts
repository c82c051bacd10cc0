import path from "node:path";
import { chmod, readlink, rm, symlink, writeFile } from "../../util/fs-async.js";
import { makeDirectoriesAsync } from "../../util/make-directories.js";
import { readPlannedFile } from "../planned-file.js";
import type { BundledCopy } from "./template.js";

/** The checksum file beside emitted templates, in `sha256sum -c` format. */
export const SOURCES_FILE = "SOURCES.sha256";

/** What bundling wrote: the paths, and one `sha256sum` line per file. */
export interface BundleResult {
  written: string[];
  sums: string[];
}

/**
 * Places a copy step's source inside the emitted folder at `copy.path`, exactly the entries the plan listed,
 * each file checked against the digest the plan recorded (a file that changed since planning is refused).
 */
export async function bundleCopy(input: {
  copy: BundledCopy;
  root: string;
  outDir: string;
}): Promise<BundleResult> {
  const { step } = input.copy;
  const source = path.join(input.root, step.from);
  const target = path.join(input.outDir, input.copy.path);
  const written: string[] = [];
  const sums: string[] = [];
  const single = step.entries.length === 1 && step.entries[0]?.path === "";
  // Emitting again into the same folder replaces the copy, leaving nothing stale in it.
  await rm(target, { recursive: true, force: true });
  if (!single) await makeDirectoriesAsync(target, 0o755);
  for (const entry of step.entries) {
    const from = entry.path === "" ? source : path.join(source, entry.path);
    const to = entry.path === "" ? target : path.join(target, entry.path);
    const relative = path.posix.join(input.copy.path, entry.path);
    if (entry.type === "dir") {
      await makeDirectoriesAsync(to);
      await chmod(to, entry.mode);
      continue;
    }
    await makeDirectoriesAsync(path.dirname(to));
    if (entry.type === "symlink") {
      await symlink(entry.target ?? (await readlink(from)), to);
    } else {
      const { content, digest } = await readPlannedFile(from, {
        ...(entry.digest === undefined ? {} : { digest: entry.digest }),
        hint: "emit the templates again so the plan and the files agree",
      });
      await writeFile(to, content, { mode: entry.mode });
      await chmod(to, entry.mode);
      sums.push(`${digest.slice("sha256:".length)}  ${relative}`);
    }
    written.push(to);
  }
  return { written, sums };
}
