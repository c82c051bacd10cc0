import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkManifest } from "../../manifest/fsck.js";
import { manifestPath } from "../../manifest/location.js";
import { copyLineage } from "../../manifest/store/copy.js";
import { openLineStore } from "../../manifest/store/open.js";
import type { CommandRun } from "../io.js";
import { writeJson } from "../manifest-support.js";

/** `bake manifest copy SRC DST`: moves a lineage between any two stores, same lines, ids and chain, checked first. */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const [from, to] = positionals.map((flag) => manifestPath({ flag, env: {}, cwd: io.cwd })) as [
    string,
    string,
  ];
  const source = await openLineStore(from, { env: io.env, cwd: io.cwd });
  const target = await openLineStore(to, { env: io.env, cwd: io.cwd });
  try {
    const report = await copyLineage({ source, target, check: fsckLines });
    if (values.json === true) writeJson(io, report);
    else {
      const resumed = report.alreadyThere > 0 ? ` (${report.alreadyThere} were already there)` : "";
      io.stdout.write(
        `copied ${report.copied} lines from ${report.from} to ${report.to}${resumed}; ${report.lines} lines, fsck clean, read back identical\n`,
      );
    }
    return 0;
  } finally {
    await source.close();
    await target.close();
  }
};

// fsck on exactly the lines being copied.
async function fsckLines(lines: readonly string[]) {
  const dir = mkdtempSync(join(tmpdir(), "bake-copy-"));
  try {
    const path = join(dir, "lineage.jsonl");
    writeFileSync(path, lines.map((line) => `${line}\n`).join(""));
    return await checkManifest(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
