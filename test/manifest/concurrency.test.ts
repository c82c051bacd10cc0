import { spawn } from "node:child_process";
import { rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkManifest } from "../../src/manifest/fsck.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { compileManifestModule } from "./harness/compile.js";
import { tempManifest } from "./helpers.js";

const child = join(dirname(fileURLToPath(import.meta.url)), "harness/register-child.mjs");
let moduleDir: string;

beforeAll(() => {
  moduleDir = compileManifestModule();
});
afterAll(() => rmSync(dirname(moduleDir), { recursive: true, force: true }));

function runChild(
  path: string,
  index: number,
  iterations: number,
): Promise<{ code: number | null; acks: string[]; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [child, moduleDir, path, String(index), String(iterations)]);
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (chunk) => (stdout += chunk));
    proc.stderr.on("data", (chunk) => (stderr += chunk));
    proc.on("close", (code) =>
      resolve({
        code,
        acks: stdout
          .split("\n")
          .filter((l) => l.startsWith("ack "))
          .map((l) => l.slice(4)),
        stderr,
      }),
    );
  });
}

describe("concurrent writers", () => {
  it("keeps all 800 records when 16 processes register 50 each at once, and fsck passes", async () => {
    const { path } = tempManifest();
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => runChild(path, i, 25)));
    for (const result of results) {
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.acks).toHaveLength(50);
    }
    const manifest = await openManifest(path);
    const ids = new Set(manifest.records().map((record) => record.id));
    expect(ids.size).toBe(800);
    for (const result of results) for (const id of result.acks) expect(ids.has(id)).toBe(true);
    const builds = manifest.records().flatMap((record) => (record.kind === "image" ? [record.build] : []));
    expect(builds).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    const report = await checkManifest(path);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, images: 400, layers: 400 });
  }, 120_000);

  it("keeps every record when half the writers name the manifest through a symlink", async () => {
    const { dir, path } = tempManifest();
    await openManifest(path, { create: true, env: {} });
    const link = join(dir, "link.jsonl");
    symlinkSync("bake.lineage.jsonl", link);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => runChild(i % 2 ? link : path, i, 10)),
    );
    for (const result of results) {
      expect(result.stderr).toBe("");
      expect(result.acks).toHaveLength(20);
    }
    const ids = new Set((await openManifest(path)).records().map((record) => record.id));
    for (const result of results) for (const id of result.acks) expect(ids.has(id)).toBe(true);
    expect(ids.size).toBe(160);
    expect((await checkManifest(path)).problems).toEqual([]);
  }, 120_000);
});
