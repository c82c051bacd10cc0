import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NewRecord } from "../../src/manifest/types.js";

/** A fresh directory and a manifest path inside it. */
export function tempManifest(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "bake-manifest-"));
  return { dir, path: join(dir, "bake.lineage.jsonl") };
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
