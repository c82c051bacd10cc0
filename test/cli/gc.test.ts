import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { createDriver } from "../../src/drivers/local/index.js";
import { Store } from "../../src/drivers/local/store.js";
import { knownManifests, rememberManifest } from "../../src/drivers/local/store-manifests.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { layer, makeBusyboxRootfs, plan, recordingReporter, run } from "../drivers/local/helpers.js";

async function bake(args: string[], io: { cwd: string; env: Record<string, string> }) {
  const out: string[] = [];
  const code = await main(args, {
    ...io,
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: () => true },
  });
  return { code, stdout: out.join("") };
}

/** A store with two images built on a `dir:` base, of which the manifest records one. */
async function storeWithOrphan() {
  const work = mkdtempSync(join(tmpdir(), "bake-gc-cli-"));
  const rootfs = makeBusyboxRootfs(join(work, "rootfs"));
  const env = { BAKE_STORE: join(work, "store"), BAKE_MANIFEST: join(work, "bake.lineage.jsonl") };
  const ctx = { cwd: work, env, signal: new AbortController().signal, reporter: recordingReporter() };
  const driver = createDriver();
  const base = await driver.resolve(
    { kind: "external", ref: "dir:./rootfs", scheme: "dir", location: rootfs },
    ctx,
  );
  const build = async (script: string) => {
    const p = plan({ root: work, layers: [layer("l", [run(script)])] });
    return driver.bake({
      ...ctx,
      plan: p,
      parent: base,
      layer: p.layers[0]!,
      layerIndex: 0,
      runId: "gc",
      secrets: {},
    });
  };
  const recorded = await build("echo recorded > /r");
  const orphan = await build("echo orphan > /o");
  const manifest = await openManifest(env.BAKE_MANIFEST, { create: true, env: {} });
  await manifest.register({
    kind: "image",
    lineage: "demo",
    version: "1",
    parent: { external: { ref: "dir:./rootfs", id: base.id } },
    driver: "local",
    artifact: recorded.id,
    recipeDigest: `sha256:${"a".repeat(64)}`,
    layers: [],
  });
  const store = await Store.open(env.BAKE_STORE);
  return { work, env, store, base, recorded, orphan };
}

describe("bake gc", () => {
  test("keeps what the manifest records, removes the rest, and --dry-run only lists", async () => {
    const { work, env, store, base, recorded, orphan } = await storeWithOrphan();
    const dry = await bake(["gc", "--dry-run"], { cwd: work, env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would remove .*1 unreferenced image/);
    expect(await store.image(orphan.id)).toBeDefined();

    const real = await bake(["gc"], { cwd: work, env });
    expect(real.stdout).toMatch(/^removed .*1 unreferenced image/m);
    expect(await store.image(orphan.id)).toBeUndefined();
    expect(await store.image(recorded.id)).toBeDefined();
    expect(await store.image(base.id)).toBeDefined();
    expect(readdirSync(join(env.BAKE_STORE, "runs"))).toEqual([]);
  });

  test("removes nothing when the manifest is missing, empty or edited: exit 2, and every image stays", async () => {
    const { work, env, store, recorded, orphan } = await storeWithOrphan();
    const images = async () => [await store.image(recorded.id), await store.image(orphan.id)];
    const missing = await bake(["gc", "--manifest", join(work, "typo.jsonl")], { cwd: work, env });
    writeFileSync(join(work, "empty.jsonl"), "");
    const empty = await bake(["gc", "--manifest", join(work, "empty.jsonl")], { cwd: work, env });
    const lines = readFileSync(env.BAKE_MANIFEST, "utf8").split("\n");
    lines[1] = (lines[1] as string).replace('"version":"1"', '"version":"2"');
    writeFileSync(join(work, "edited.jsonl"), lines.join("\n"));
    const edited = await bake(["gc", "--manifest", join(work, "edited.jsonl")], { cwd: work, env });
    expect([missing.code, empty.code, edited.code]).toEqual([2, 2, 2]);
    expect(await images()).not.toContain(undefined);
  });

  test("keeps what another manifest sharing the store records, until that manifest is gone", async () => {
    const { work, env, store, recorded, orphan } = await storeWithOrphan();
    // A build leaves its manifest's location in the store (execute() asks the driver: recordsIn).
    rememberManifest(store.root, env.BAKE_MANIFEST);
    const other = join(work, "other.jsonl");
    await openManifest(other, { create: true, env: {} });
    const first = await bake(["gc", "--manifest", other, "--json"], { cwd: work, env });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).manifests).toEqual([other, env.BAKE_MANIFEST]);
    expect(await store.image(recorded.id)).toBeDefined();
    expect(await store.image(orphan.id)).toBeUndefined();

    rmSync(env.BAKE_MANIFEST);
    const second = await bake(["gc", "--manifest", other], { cwd: work, env });
    expect(second.stdout).toContain(`forgot ${env.BAKE_MANIFEST}: it no longer exists`);
    expect(await store.image(recorded.id)).toBeUndefined();
    expect(knownManifests(store.root)).toEqual([]);
  });

  test("removes nothing while another manifest sharing the store does not verify", async () => {
    const { work, env, store, recorded, orphan } = await storeWithOrphan();
    rememberManifest(store.root, env.BAKE_MANIFEST);
    const other = join(work, "other.jsonl");
    await openManifest(other, { create: true, env: {} });
    const lines = readFileSync(env.BAKE_MANIFEST, "utf8").split("\n");
    lines[1] = (lines[1] as string).replace('"version":"1"', '"version":"2"');
    writeFileSync(env.BAKE_MANIFEST, lines.join("\n"));
    const result = await bake(["gc", "--manifest", other], { cwd: work, env });
    expect(result.code).toBe(2);
    expect(await store.image(recorded.id)).toBeDefined();
    expect(await store.image(orphan.id)).toBeDefined();
  });

  test("rejects a bad --older-than duration", async () => {
    const work = mkdtempSync(join(tmpdir(), "bake-gc-cli-"));
    const result = await main(["gc", "--older-than", "soon"], {
      cwd: work,
      env: { BAKE_STORE: join(work, "store") },
      stdout: { write: () => true },
      stderr: { write: () => true },
    });
    expect(result).toBe(2);
  });
});
