// bake's own check of a pulled image, on a real `skopeo copy ... dir:` from a real registry: it must catch what a
// transport let through (a changed blob, a short one, a missing one, a manifest that is not the one asked for).
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { verifyPulledBlobs } from "../../../../src/drivers/local/registry/verify-blobs.js";
import { BakeError } from "../../../../src/errors.js";
import { type Seeded, seedImage, startRegistry, type TestRegistry } from "../../../helpers/registry.js";

const work = mkdtempSync(join(tmpdir(), "bake-verify-blobs-"));
const pulled = join(work, "pulled");
let registry: TestRegistry;
let seeded: Seeded;

beforeAll(async () => {
  registry = await startRegistry();
  seeded = await seedImage(registry, { repo: "checked", tag: "1" });
  execFileSync("skopeo", ["copy", "--quiet", seeded.ref, `dir:${pulled}`], {
    env: { PATH: process.env.PATH ?? "", ...registry.env },
  });
}, 120_000);
afterAll(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

let copies = 0;
/** A copy of the pulled directory to damage. */
function copy(): { dir: string; layer: string; config: string } {
  const dir = join(work, `copy-${copies++}`);
  cpSync(pulled, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const hex = (digest: string) => join(dir, digest.replace("sha256:", ""));
  return { dir, layer: hex(manifest.layers[0].digest), config: hex(manifest.config.digest) };
}

async function refusal(dir: string, digest = seeded.digest): Promise<BakeError> {
  const error = await verifyPulledBlobs({ dir, digest, ref: seeded.ref }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(BakeError);
  return error as BakeError;
}

describe("checking a pulled image before it reaches the store", () => {
  test("accepts an intact pull and lists the config and every layer", async () => {
    const checked = await verifyPulledBlobs({ dir: pulled, digest: seeded.digest, ref: seeded.ref });
    expect(checked.blobs.map((blob) => blob.digest)).toEqual([
      checked.manifest.config.digest,
      ...checked.manifest.layers.map((layer) => layer.digest),
    ]);
  });

  test("refuses a layer whose bytes changed", async () => {
    const { dir, layer } = copy();
    const bytes = readFileSync(layer);
    bytes[10] = (bytes[10] as number) ^ 1;
    writeFileSync(layer, bytes);
    const error = await refusal(dir);
    expect(error.code).toBe("base-corrupt");
    expect(error.message).toMatch(/blob sha256:[0-9a-f]{64} does not match what was pulled \(got sha256:/);
  });

  test("refuses a missing config blob", async () => {
    const { dir, config } = copy();
    rmSync(config);
    expect((await refusal(dir)).message).toContain("the blob is missing");
  });

  test("refuses a manifest that is not the digest asked for", async () => {
    const error = await refusal(pulled, `sha256:${"0".repeat(64)}`);
    expect(error.code).toBe("base-corrupt");
    expect(error.message).toContain(`manifest sha256:${"0".repeat(64)}`);
  });

  test("refuses layers the store cannot unpack", async () => {
    const { dir } = copy();
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    manifest.layers[0].mediaType = "application/vnd.oci.image.layer.v1.tar+zstd";
    const bytes = Buffer.from(JSON.stringify(manifest));
    writeFileSync(join(dir, "manifest.json"), bytes);
    const digest = `sha256:${(await import("node:crypto")).createHash("sha256").update(bytes).digest("hex")}`;
    const error = await refusal(dir, digest);
    expect(error.code).toBe("base-unsupported");
    expect(error.message).toContain("tar+zstd");
  });
});
