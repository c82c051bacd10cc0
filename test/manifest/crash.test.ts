import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkManifest } from "../../src/manifest/fsck.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { compileManifestModule } from "./harness/compile.js";
import { tempManifest } from "./helpers.js";

const child = join(dirname(fileURLToPath(import.meta.url)), "harness/register-child.mjs");
const KILLS = 50;
const PARALLEL = 3;
let moduleDir: string;

beforeAll(() => {
  moduleDir = compileManifestModule();
});
afterAll(() => rmSync(dirname(moduleDir), { recursive: true, force: true }));

/** Starts a registering child and kills it with SIGKILL a random moment after its first acknowledged record. */
function killedChild(path: string, index: number, acked: Set<string>): Promise<void> {
  return new Promise((resolve) => {
    // Every third child writes 48 KiB records, so some kills land in the middle of a write.
    const args = [child, moduleDir, path, String(index), "0", ...(index % 3 === 0 ? ["49152"] : [])];
    const proc: ChildProcessWithoutNullStreams = spawn(process.execPath, args);
    let buffered = "";
    let scheduled = false;
    proc.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line.startsWith("ack ")) acked.add(line.slice(4));
      if (!scheduled) {
        scheduled = true;
        setTimeout(() => proc.kill("SIGKILL"), Math.random() * 60);
      }
    });
    proc.stderr.resume();
    proc.on("exit", () => resolve());
  });
}

describe("crashes while registering", () => {
  it("never loses an acknowledged record across 50 SIGKILLs, and fsck passes or names only the torn tail", async () => {
    const { path } = tempManifest();
    const acked = new Set<string>();
    let started = 0;
    let kills = 0;
    const lane = async () => {
      while (started < KILLS) {
        started += 1;
        await killedChild(path, started, acked);
        kills += 1;
        if (kills % 10 === 0) {
          // The manifest always loads, whatever moment the last kill hit.
          const manifest = await openManifest(path);
          expect(manifest.records().length).toBeGreaterThan(0);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, lane));
    expect(kills).toBeGreaterThanOrEqual(KILLS);

    const manifest = await openManifest(path);
    const present = new Set(manifest.records().map((record) => record.id));
    const lost = [...acked].filter((id) => !present.has(id));
    expect(lost).toEqual([]);
    expect(acked.size).toBeGreaterThanOrEqual(KILLS);

    const report = await checkManifest(path);
    const torn = manifest.tornTail();
    if (torn) {
      expect(report.problems).toEqual([expect.objectContaining({ code: "torn-tail", line: torn.line })]);
    } else {
      expect(report.problems).toEqual([]);
    }

    // The next write moves any torn tail aside, and then everything checks out.
    const warnings: string[] = [];
    const writer = await openManifest(path, { env: {}, onWarning: (message) => warnings.push(message) });
    await writer.register({
      kind: "image",
      lineage: "after",
      version: "1.0.0",
      parent: { external: { ref: "scratch", id: "scratch" } },
      driver: "local",
      artifact: "sha256:after",
      recipeDigest: "sha256:recipe",
    });
    expect(warnings.length).toBe(torn ? 1 : 0);
    const after = await checkManifest(path);
    expect(after.problems).toEqual([]);
    expect(after.images + after.layers).toBe(present.size + 1);
  }, 240_000);
});
