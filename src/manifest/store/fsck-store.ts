import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FsckReport } from "../fsck.js";
import { openLineStore } from "./open.js";

/**
 * `bake fsck` for a store: reads every line from the store and runs the same checks as for a file (ids against
 * content, canonical bytes, the chain of `prev` hashes, links, build order) on exactly those bytes.
 */
export async function checkStore(
  location: string,
  check: (path: string) => Promise<FsckReport>,
): Promise<FsckReport> {
  const store = await openLineStore(location);
  const dir = mkdtempSync(join(tmpdir(), "bake-fsck-"));
  try {
    const { lines } = await store.read(0);
    const copy = join(dir, "lineage.jsonl");
    writeFileSync(copy, lines.map((line) => `${line}\n`).join(""));
    const report = await check(copy);
    return { ...report, path: store.display };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await store.close();
  }
}
