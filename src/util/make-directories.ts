import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { mkdir, stat } from "./fs-async.js";

// `mkdir -p`. Node's own (`{ recursive: true }`) never returns where mkdir says ENOENT although the parent exists
// (under /proc, say: `--manifest /proc/x/lineage.jsonl`), and the synchronous one then holds the thread, so not even
// SIGTERM ends bake. These go up to the deepest level that exists, then make each level below it, and fail with
// mkdir's own error for the first level that cannot be made. A level another process makes meanwhile is fine.

/** What making one level found: made (or already a directory), or its parent missing. */
type Made = "done" | "parent-missing";

/** Makes `path` and its missing parents (each with `mode`, before the umask, when given). */
export function makeDirectories(path: string, mode?: number): void {
  const make = (at: string, last: boolean): Made => {
    try {
      mkdirSync(at, mode);
      return "done";
    } catch (error) {
      return classify(error, last, () => statSync(at).isDirectory());
    }
  };
  const missing: string[] = [];
  for (let at = resolve(path); make(at, false) === "parent-missing"; at = dirname(at)) {
    if (dirname(at) === at) return;
    missing.push(at);
  }
  for (const dir of missing.reverse()) make(dir, true);
}

/** {@link makeDirectories}, without blocking the event loop. */
export async function makeDirectoriesAsync(path: string, mode?: number): Promise<void> {
  const make = async (at: string, last: boolean): Promise<Made> => {
    try {
      await mkdir(at, mode);
      return "done";
    } catch (error) {
      const isDirectory = await stat(at).then(
        (info) => info.isDirectory(),
        () => false,
      );
      return classify(error, last, () => isDirectory);
    }
  };
  const missing: string[] = [];
  for (let at = resolve(path); (await make(at, false)) === "parent-missing"; at = dirname(at)) {
    if (dirname(at) === at) return;
    missing.push(at);
  }
  for (const dir of missing.reverse()) await make(dir, true);
}

// EEXIST on a directory is done; ENOENT means the parent is missing, except for a level whose parent was just
// made or found (`last`), where it is the error to report; anything else is too.
function classify(error: unknown, last: boolean, isDirectory: () => boolean): Made {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EEXIST" && isDirectory()) return "done";
  if (code === "ENOENT" && !last) return "parent-missing";
  throw error;
}
