import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openManifest } from "../../src/manifest/manifest.js";
import { fleetDir, runBake } from "../manifest/cli-helpers.js";

describe("bake deprecate", () => {
  it("marks an image deprecated, superseded by the newest active image when no reason is given", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["deprecate", "web#1"], { cwd: fleet.dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^deprecated web#1 \([0-9a-f]{12}\): superseded by web#3\n$/);
    const manifest = await openManifest(fleet.path);
    expect(manifest.status(fleet.web1.id)).toMatchObject({
      status: "deprecated",
      reason: "superseded by web#3",
    });
    const history = await runBake(["history", "web"], { cwd: fleet.dir });
    expect(history.stdout).toMatch(/#1 .*deprecated: superseded by web#3/);
  });

  it("records the reason given", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["deprecate", "web@stable", "--reason", "end of support for 2.1"], {
      cwd: fleet.dir,
    });
    expect(run.code, run.stderr).toBe(0);
    expect((await openManifest(fleet.path)).status(fleet.web2.id).reason).toBe("end of support for 2.1");
  });

  it("keeps a deprecated image usable by exact reference, but LINEAGE alone no longer picks it", async () => {
    const fleet = await fleetDir();
    await runBake(["deprecate", "web#3", "--reason", "flaky"], { cwd: fleet.dir });
    const manifest = await openManifest(fleet.path);
    expect(manifest.resolve("web").id).toBe(fleet.web2.id);
    expect(manifest.resolve("web#3").id).toBe(fleet.web3.id);
  });

  it("asks for a reason when the image is the newest active one of its lineage", async () => {
    const fleet = await fleetDir();
    const before = readFileSync(fleet.path);
    const run = await runBake(["deprecate", "web#3"], { cwd: fleet.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("web#3");
    expect(run.stderr).toContain("is the newest active image of web, so give --reason");
    expect(readFileSync(fleet.path)).toEqual(before);
  });

  it("refuses an empty reason, an image already deprecated or revoked, and a layer record", async () => {
    const fleet = await fleetDir();
    expect((await runBake(["deprecate", "web#1", "--reason", " "], { cwd: fleet.dir })).stderr).toContain(
      "--reason is empty",
    );
    await runBake(["deprecate", "web#1"], { cwd: fleet.dir });
    const again = await runBake(["deprecate", "web#1", "--reason", "x"], { cwd: fleet.dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("is already deprecated");
    await runBake(["revoke", "web#2", "--reason", "bad"], { cwd: fleet.dir });
    const revoked = await runBake(["deprecate", "web#2", "--reason", "x"], { cwd: fleet.dir });
    expect(revoked.code).toBe(2);
    expect(revoked.stderr).toContain("is already revoked");
    const layer = await runBake(["deprecate", fleet.app.id, "--reason", "x"], { cwd: fleet.dir });
    expect(layer.code).toBe(2);
    expect(layer.stderr).toContain("is a layer record; deprecate an image");
  });

  it("prints the appended event as JSON", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["deprecate", "web#2", "--reason", "old", "--json"], { cwd: fleet.dir });
    const json = JSON.parse(run.stdout);
    expect(json.event).toMatchObject({
      type: "event",
      event: "deprecate",
      target: fleet.web2.id,
      reason: "old",
      lineage: "web",
    });
  });

  it("has help", async () => {
    const run = await runBake(["deprecate", "--help"], { cwd: "/" });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("bake deprecate REF [--reason TEXT]");
  });
});
