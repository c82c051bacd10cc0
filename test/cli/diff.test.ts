import { describe, expect, it } from "vitest";
import { fleetDir, runBake } from "../manifest/cli-helpers.js";

describe("bake diff", () => {
  it("shows changed fields, parent and layers between two images", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["diff", "web#1", "web#2"], { cwd: fleet.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^web#1 \([0-9a-f]{12}\) -> web#2 \([0-9a-f]{12}\)$/m);
    expect(run.stdout).toMatch(/version +2\.0\.0 -> 2\.1\.0/);
    expect(run.stdout).toMatch(/parent +base#2 \([0-9a-f]{12}\) -> base#3 \([0-9a-f]{12}\)/);
    expect(run.stdout).toMatch(/app +added/);
  });

  it("tells changed inputs from a rebuild caused by a new parent, in JSON", async () => {
    const fleet = await fleetDir();
    const { fakeDigest, imageInput } = await import("../manifest/helpers.js");
    const app = fleet.app.layer as { name: string; inputsDigest: string; cacheKey: string };
    const same = imageInput({
      lineage: "web",
      parent: { record: fleet.base3.id },
      version: "2.1.0",
      seed: "2",
    });
    const rebuilt = await fleet.manifest.register({
      ...same,
      parent: { record: fleet.base2.id },
      layers: [{ ...app, cacheKey: fakeDigest("new key"), record: fleet.app.id, artifact: "sha256:x" }],
    });
    const changed = await fleet.manifest.register({
      ...same,
      layers: [
        {
          ...app,
          inputsDigest: fakeDigest("new inputs"),
          cacheKey: fakeDigest("k2"),
          record: fleet.app.id,
          artifact: "sha256:y",
        },
      ],
    });
    const one = JSON.parse(
      (await runBake(["diff", "web#2", `web#${rebuilt.build}`, "--json"], { cwd: fleet.dir })).stdout,
    );
    expect(one.layers).toEqual([expect.objectContaining({ name: "app", change: "rebuilt" })]);
    expect(one.fields.map((f: { field: string }) => f.field)).toEqual(["build", "parent"]);
    const two = JSON.parse(
      (await runBake(["diff", "web#2", `web#${changed.build}`, "--json"], { cwd: fleet.dir })).stdout,
    );
    expect(two.layers).toEqual([expect.objectContaining({ name: "app", change: "changed" })]);
    expect(two.fields).toEqual([{ field: "build", a: "2", b: String(changed.build) }]);
  });

  it("says when both references name the same record", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["diff", "web@stable", "web#2"], { cwd: fleet.dir });
    expect(run.stdout).toContain("the same record");
  });
});
