import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Manifest } from "../../src/manifest/manifest.js";
import type { LayerEntry, NewRecord } from "../../src/manifest/types.js";

/**
 * A fresh directory and a manifest path inside it. When a store suite (test/manifest/store/api-on-*.test.ts) has
 * prepared fresh store locations, the path is one of those instead, so the same tests run on every store.
 */
export function tempManifest(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "bake-manifest-"));
  const store = (globalThis as { bakeTestStores?: string[] }).bakeTestStores?.shift();
  return { dir, path: store ?? join(dir, "bake.lineage.jsonl") };
}

/** `sha256:<hex>` of a label, for readable fake digests. */
export function fakeDigest(label: string): string {
  return `sha256:${createHash("sha256").update(label).digest("hex")}`;
}

/** A layer record input on the given parent. */
export function layerInput(options: {
  lineage: string;
  name: string;
  parent: NewRecord["parent"];
  version?: string;
  seed?: string;
}): NewRecord {
  const seed = options.seed ?? "";
  return {
    kind: "layer",
    lineage: options.lineage,
    version: options.version ?? "1.0.0",
    parent: options.parent,
    driver: "local",
    artifact: fakeDigest(`artifact ${options.lineage} ${options.name} ${seed}`),
    recipeDigest: fakeDigest(`recipe ${options.lineage}`),
    layer: {
      name: options.name,
      inputsDigest: fakeDigest(`inputs ${options.name} ${seed}`),
      cacheKey: fakeDigest(`key ${options.lineage} ${options.name} ${seed}`),
    },
  };
}

/** An image record input with no layers on the given parent. */
export function imageInput(options: {
  lineage: string;
  parent: NewRecord["parent"];
  version?: string;
  seed?: string;
}): NewRecord {
  return {
    kind: "image",
    lineage: options.lineage,
    version: options.version ?? "1.0.0",
    parent: options.parent,
    driver: "local",
    artifact: fakeDigest(`image ${options.lineage} ${options.version} ${options.seed ?? ""}`),
    recipeDigest: fakeDigest(`recipe ${options.lineage}`),
    layers: [],
    verify: { ok: true, checks: [{ name: "run: true", ok: true, attempts: 1, durationMs: 3 }] },
    labels: { team: "heroes" },
  };
}

/** An external base as a recipe's `from` would resolve. */
export const debianBase = {
  external: { ref: "docker-archive:./debian.tar", id: fakeDigest("debian 12 base") },
} as const;

/** A small fleet: base#1..3 on an external base (base#3 with a layer record), web#1 on base#2, web#2..3 on base#3. */
export async function buildFleet(manifest: Manifest) {
  const base1 = await manifest.register(
    imageInput({ lineage: "base", parent: debianBase, version: "1.0.0" }),
  );
  const base2 = await manifest.register(
    imageInput({ lineage: "base", parent: debianBase, version: "1.1.0" }),
  );
  const runtime = await manifest.register(
    layerInput({ lineage: "base", name: "runtime", parent: debianBase, seed: "3" }),
  );
  const base3 = await manifest.register({
    ...imageInput({ lineage: "base", parent: debianBase, version: "1.2.0" }),
    layers: [{ ...(runtime.layer as LayerEntry), record: runtime.id, artifact: runtime.artifact }],
  });
  const web1 = await manifest.register(
    imageInput({ lineage: "web", parent: { record: base2.id }, version: "2.0.0" }),
  );
  const app = await manifest.register(
    layerInput({ lineage: "web", name: "app", parent: { record: base3.id } }),
  );
  const web2 = await manifest.register({
    ...imageInput({ lineage: "web", parent: { record: base3.id }, version: "2.1.0", seed: "2" }),
    layers: [{ ...(app.layer as LayerEntry), record: app.id, artifact: app.artifact }],
  });
  const web3 = await manifest.register(
    imageInput({ lineage: "web", parent: { record: base3.id }, version: "2.1.0", seed: "3" }),
  );
  await manifest.appendEvent({ event: "promote", target: base3.id, channel: "stable" });
  await manifest.appendEvent({ event: "promote", target: web2.id, channel: "stable" });
  await manifest.appendEvent({ event: "promote", target: web3.id, channel: "canary" });
  return { base1, base2, runtime, base3, web1, app, web2, web3 };
}
