import { createReadStream, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { createDriver } from "../../src/drivers/local/index.js";
import { readTar } from "../../src/drivers/local/tar-reader.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { layer, makeBusyboxRootfs, plan, recordingReporter, run } from "../drivers/local/helpers.js";

async function fixture() {
  const work = mkdtempSync(join(tmpdir(), "bake-export-cli-"));
  const rootfs = makeBusyboxRootfs(join(work, "rootfs"));
  const env = { BAKE_STORE: join(work, "store"), BAKE_MANIFEST: join(work, "bake.lineage.jsonl") };
  const ctx = { cwd: work, env, signal: new AbortController().signal, reporter: recordingReporter() };
  const driver = createDriver();
  const base = await driver.resolve(
    { kind: "external", ref: "dir:./rootfs", scheme: "dir", location: rootfs },
    ctx,
  );
  const p = plan({ root: work, layers: [layer("app", [run("echo app > /app")])] });
  const artifact = await driver.bake({
    ...ctx,
    plan: p,
    parent: base,
    layer: p.layers[0]!,
    layerIndex: 0,
    runId: "x",
    secrets: {},
  });
  const manifest = await openManifest(env.BAKE_MANIFEST, { create: true, env: {} });
  const record = await manifest.register({
    kind: "image",
    lineage: "demo",
    version: "1.0.0",
    parent: { external: { ref: "dir:./rootfs", id: base.id } },
    driver: "local",
    artifact: artifact.id,
    recipeDigest: p.recipe.digest,
    layers: [],
  });
  return { work, env, artifact, record };
}

async function bake(args: string[], io: { cwd: string; env: Record<string, string> }) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    ...io,
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("bake export", () => {
  test("exports a lineage reference from the manifest as an OCI archive", async () => {
    const { work, env, artifact } = await fixture();
    const result = await bake(["export", "demo#1", "-o", "demo.tar"], { cwd: work, env });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/wrote .*demo\.tar \(oci-archive, .*\) as bake\/demo:1\.0\.0/);
    const names: string[] = [];
    for await (const entry of readTar(createReadStream(join(work, "demo.tar"))))
      names.push(entry.header.name);
    expect(names).toContain(`blobs/sha256/${artifact.id.slice(7)}`);
  });

  test("exports a raw sha256 artifact id as a docker archive", async () => {
    const { work, env, artifact } = await fixture();
    const result = await bake(
      ["export", artifact.id, "--format", "docker-archive", "-o", join(work, "d.tar")],
      { cwd: work, env },
    );
    expect(result.code).toBe(0);
    const names: string[] = [];
    for await (const entry of readTar(createReadStream(join(work, "d.tar")))) names.push(entry.header.name);
    expect(names).toContain("manifest.json");
    expect(names.filter((name) => name.endsWith("/layer.tar"))).toHaveLength(2);
  });

  test("refuses an unknown format, a missing -o and an image not in the store, with exit 2 and a hint", async () => {
    const { work, env } = await fixture();
    const format = await bake(["export", "demo", "--format", "zip", "-o", "x.tar"], { cwd: work, env });
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/unknown format "zip"[\s\S]*hint/);
    const output = await bake(["export", "demo"], { cwd: work, env });
    expect(output.code).toBe(2);
    expect(output.stderr).toMatch(/-o FILE/);
    const missing = await bake(["export", `sha256:${"e".repeat(64)}`, "-o", "x.tar"], { cwd: work, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nothing matches "sha256:e+": bake read it as a full id/);
    expect(missing.stderr).toMatch(/the local store .*: no image sha256:e+/);
    expect(existsSync(join(work, "x.tar"))).toBe(false);
  });
});
