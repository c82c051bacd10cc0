import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ImageFiles } from "../../src/inventory/collect.js";

/** An image tree laid out as a plain directory, for the pure collector. */
export function directoryFiles(root: string): ImageFiles {
  return {
    read: (path) => readFile(join(root, path)).catch(() => undefined),
    list: (path) => readdir(join(root, path)).catch(() => []),
  };
}
