import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import type { InventoryInput } from "../../src/drivers/driver.js";
import type { PackageInventory } from "../../src/inventory/types.js";
import { sideDataFor } from "../../src/manifest/side-data.js";
import { execute } from "../../src/run/execute.js";
import { tempManifest } from "../manifest/helpers.js";
import { EventLog, MemoryManifest, RecordingDriver, twoLayerPlan } from "./fakes.js";

class InventoryDriver extends RecordingDriver {
  failInventory = false;
  async inventory(input: InventoryInput): Promise<PackageInventory> {
    this.calls.push(`inventory ${input.image.id.slice(0, 15)}`);
    if (this.failInventory) throw new Error("status file unreadable");
    return {
      os: { id: "debian", versionId: "12" },
      packages: [
        {
          ecosystem: "deb",
          name: "openssl",
          version: "3.0.11-1~deb12u2",
          arch: "amd64",
          purl: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
        },
      ],
    };
  }
}

function run(driver: RecordingDriver) {
  const manifest = new MemoryManifest();
  const reporter = new EventLog();
  const sideDataPath = tempManifest().path;
  const sideData = sideDataFor(sideDataPath);
  return {
    sideDataDir: join(dirname(sideDataPath), ".bake-data", "sha256"),
    manifest,
    reporter,
    sideData,
    done: execute(twoLayerPlan(), {
      driver,
      manifest,
      reporter,
      signal: new AbortController().signal,
      secrets: { token: "hunter2-secret" },
      cwd: "/r",
      env: {},
      sideData,
    }),
  };
}

describe("the runner's inventory step", () => {
  it("takes the inventory beside verify, before register, and refers to it by digest from the image record", async () => {
    const driver = new InventoryDriver();
    const { done, sideData } = run(driver);
    const { record } = await done;
    const order = driver.calls
      .map((call) => call.split(" ")[0])
      .filter((c) => c === "verify" || c === "inventory");
    expect(order).toEqual(["verify", "inventory"]);
    const sbom = record.details?.sbom as string;
    expect(record.details?.packages).toBe("1");
    const document = JSON.parse((await sideData.get(sbom)).toString()) as { components: { purl?: string }[] };
    expect(document.components.map((c) => c.purl).filter(Boolean)).toEqual([
      "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
    ]);
  });

  it("registers the verified image with a warning, and no reference, when the inventory cannot be read", async () => {
    const driver = new InventoryDriver();
    driver.failInventory = true;
    const { done, reporter } = run(driver);
    const { record } = await done;
    expect(record.details?.sbom).toBeUndefined();
    expect(reporter.ofType("note").map((n) => n.message)).toContain(
      "warning: no package inventory recorded: status file unreadable",
    );
  });

  it("stores no inventory for an image that fails verification, though it was taken meanwhile", async () => {
    const driver = new InventoryDriver();
    driver.verifyResult = {
      ok: false,
      checks: [{ name: "app answers", ok: false, attempts: 1, durationMs: 1 }],
    };
    const { done, sideDataDir } = run(driver);
    await expect(done).rejects.toMatchObject({ code: "verify-failed" });
    expect(driver.calls.some((call) => call.startsWith("inventory"))).toBe(true);
    expect(existsSync(sideDataDir) ? readdirSync(sideDataDir) : []).toEqual([]);
  });

  it("records nothing for a driver without an inventory", async () => {
    const { done } = run(new RecordingDriver());
    expect((await done).record.details?.sbom).toBeUndefined();
  });
});
