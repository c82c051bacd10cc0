import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { headerLine } from "../../src/manifest/format.js";
import { isManifestFile } from "../../src/manifest/output-guard.js";

const work = () => mkdtempSync(join(tmpdir(), "bake-output-guard-"));
const MANIFEST = `${headerLine({ createdAt: "2026-12-08T00:00:00.000Z", bakeVersion: "0.1.0" })}\n{"kind":"image"}\n`;

async function bake(args: string[], cwd: string, env: Record<string, string> = {}) {
  const err: string[] = [];
  const code = await main(args, {
    cwd,
    env: { BAKE_STORE: join(cwd, "store"), ...env },
    stdout: { write: () => true },
    stderr: { write: (text: string) => err.push(text) },
  });
  return { code, stderr: err.join("") };
}

describe("isManifestFile", () => {
  test("knows a manifest by its header, with or without spaces, and nothing else", () => {
    const dir = work();
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    expect(isManifestFile(file("m.jsonl", MANIFEST))).toBe(true);
    expect(isManifestFile(file("spaced.jsonl", '  { "bake" : "manifest", "format": "1.0" }\n'))).toBe(true);
    expect(isManifestFile(file("other.json", '{"bake":"other"}\n'))).toBe(false);
    expect(isManifestFile(file("report.xml", "<?xml version='1.0'?>\n"))).toBe(false);
    expect(isManifestFile(file("empty", ""))).toBe(false);
    expect(isManifestFile(join(dir, "missing"))).toBe(false);
    expect(isManifestFile(dir)).toBe(false);
    // A FIFO is not waited on (a blocking open would hang until a writer came).
    execFileSync("mkfifo", [join(dir, "fifo")]);
    expect(isManifestFile(join(dir, "fifo"))).toBe(false);
  });
});

describe("outputs never replace a lineage manifest", () => {
  test("bake export -o and bake sbom -o refuse a manifest with exit 2 and leave it as it was", async () => {
    const dir = work();
    writeFileSync(join(dir, "bake.lineage.jsonl"), MANIFEST);
    const exported = await bake(["export", "app#1", "-o", "bake.lineage.jsonl"], dir);
    const sbom = await bake(["sbom", "app#1", "-o", "bake.lineage.jsonl"], dir);
    expect([exported.code, sbom.code]).toEqual([2, 2]);
    expect(exported.stderr).toContain("bake.lineage.jsonl is a bake lineage manifest");
    expect(readFileSync(join(dir, "bake.lineage.jsonl"), "utf8")).toBe(MANIFEST);
  });

  test("bake export -o, bake sbom -o and --junit refuse a directory with exit 2, before any work", async () => {
    const dir = work();
    mkdirSync(join(dir, "out"));
    const exported = await bake(["export", "app#1", "-o", "out"], dir);
    const sbom = await bake(["sbom", "app#1", "-o", "."], dir);
    const junit = await bake(["build", "recipe.yaml", "--junit", "out"], dir);
    expect([exported.code, sbom.code, junit.code]).toEqual([2, 2, 2]);
    expect(exported.stderr).toContain("out is a directory: -o names the file to write");
    expect(sbom.stderr).toContain(". is a directory");
    expect(junit.stderr).toContain("out is a directory: --junit names the file to write");
  });

  test("bake build --junit refuses a manifest before building, and a job summary is never appended to one", async () => {
    const dir = work();
    mkdirSync(join(dir, "rootfs"));
    writeFileSync(
      join(dir, "recipe.yaml"),
      "apiVersion: bake/v1\nname: app\nversion: '1'\nfrom: dir:./rootfs\nlayers:\n  - name: a\n    steps:\n      - run: echo hi\n",
    );
    writeFileSync(join(dir, "other.jsonl"), MANIFEST);
    const built = await bake(["build", "recipe.yaml", "--junit", "other.jsonl"], dir);
    expect(built.code).toBe(2);
    expect(built.stderr).toContain("--junit would replace it");
    expect(readFileSync(join(dir, "other.jsonl"), "utf8")).toBe(MANIFEST);
    // Nothing was built: the store was never made.
    expect(() => readFileSync(join(dir, "store", "index.json"))).toThrow();

    // A build that fails writes its summary too: not into a manifest that GITHUB_STEP_SUMMARY names by mistake.
    writeFileSync(join(dir, "broken.yaml"), "apiVersion: bake/v1\nname: app\n");
    const failed = await bake(["build", "broken.yaml"], dir, {
      GITHUB_STEP_SUMMARY: join(dir, "other.jsonl"),
    });
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain("the job summary was not appended to it");
    expect(readFileSync(join(dir, "other.jsonl"), "utf8")).toBe(MANIFEST);
  });
});
