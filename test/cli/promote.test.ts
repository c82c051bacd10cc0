import { describe, expect, it } from "vitest";
import { openManifest } from "../../src/manifest/manifest.js";
import { fleetDir, runBake } from "../manifest/cli-helpers.js";

describe("bake promote", () => {
  it("points a channel at an image and says what it replaced", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["promote", "web#3", "stable"], { cwd: fleet.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^promoted web#3 \([0-9a-f]{12}\) to web@stable \(was web#2\)\n$/);
    expect((await openManifest(fleet.path)).resolve("web@stable").id).toBe(fleet.web3.id);
  });

  it("prints the appended event as JSON", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["promote", "web#1", "prod", "--json"], { cwd: fleet.dir });
    const json = JSON.parse(run.stdout);
    expect(json.event).toMatchObject({
      type: "event",
      event: "promote",
      target: fleet.web1.id,
      channel: "prod",
      lineage: "web",
    });
    expect(json.previous).toBeNull();
  });

  it("refuses a revoked image with exit 2", async () => {
    const fleet = await fleetDir();
    await runBake(["revoke", "web#1", "--reason", "broken"], { cwd: fleet.dir });
    const run = await runBake(["promote", "web#1", "stable"], { cwd: fleet.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("a revoked image cannot be promoted");
  });

  it("refuses to run without a manifest", async () => {
    const { tempManifest } = await import("../manifest/helpers.js");
    const run = await runBake(["promote", "web#1", "stable"], { cwd: tempManifest().dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("there is no manifest at");
  });
});
