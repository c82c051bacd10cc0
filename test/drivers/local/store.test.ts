import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { Store } from "../../../src/drivers/local/store.js";

describe("store", () => {
  test("is an OCI image layout whose blobs are named by their digest", async () => {
    const root = mkdtempSync(join(tmpdir(), "bake-store-"));
    const store = await Store.open(root);
    expect(JSON.parse(readFileSync(join(root, "oci-layout"), "utf8"))).toEqual({
      imageLayoutVersion: "1.0.0",
    });
    const blob = await store.writeBlob("hello\n");
    expect(blob.digest).toBe("sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    expect(readFileSync(store.blobPath(blob.digest), "utf8")).toBe("hello\n");
  });

  test("takes over a lock left by a dead process, and an empty one left by a process killed mid-write", async () => {
    const root = mkdtempSync(join(tmpdir(), "bake-store-"));
    const store = await Store.open(root);
    const dead = spawnSync("true").pid as number;
    writeFileSync(join(root, "store.lock"), String(dead));
    expect(await store.withLock(async () => "ran")).toBe("ran");
    writeFileSync(join(root, "store.lock"), "");
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(root, "store.lock"), old, old);
    expect(await store.withLock(async () => "ran again")).toBe("ran again");
  });
});
