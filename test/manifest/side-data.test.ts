import { createHash } from "node:crypto";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isBakeError } from "../../src/errors.js";
import { sideDataFor } from "../../src/manifest/side-data.js";
import { tempManifest } from "./helpers.js";

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isBakeError(error) ? error.code : `not a BakeError: ${String(error)}`;
  }
}

describe("side data beside the manifest", () => {
  it("stores bytes under their sha256 and gives them back, once per content, with no temporary files left", async () => {
    const { dir, path } = tempManifest();
    const store = sideDataFor(path);
    const id = await store.put('{"a":1}\n');
    expect(id).toBe(`sha256:${createHash("sha256").update('{"a":1}\n').digest("hex")}`);
    expect(await store.put('{"a":1}\n')).toBe(id);
    expect((await store.get(id)).toString()).toBe('{"a":1}\n');
    expect(await readdir(join(dir, ".bake-data/sha256"))).toEqual([id.slice("sha256:".length)]);
  });

  it("refuses data changed after it was written, data that is missing, and an id that is not a digest", async () => {
    const { dir, path } = tempManifest();
    const store = sideDataFor(path);
    const id = await store.put("packages\n");
    await writeFile(join(dir, ".bake-data/sha256", id.slice("sha256:".length)), "packages, edited\n");
    expect(await codeOf(store.get(id))).toBe("side-data-tampered");
    expect(await codeOf(store.get(`sha256:${"0".repeat(64)}`))).toBe("side-data-missing");
    expect(await codeOf(store.get("sha256:../../etc/passwd"))).toBe("side-data-id");
  });
});
