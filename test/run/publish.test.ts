import { describe, expect, it } from "vitest";
import { execute } from "../../src/run/execute.js";
import { EventLog, MemoryManifest, RecordingDriver, twoLayerPlan } from "./fakes.js";

const publishing = {
  ...twoLayerPlan(),
  publish: [{ to: "docker://127.0.0.1:5000/web:1" }],
};

function run(driver: RecordingDriver, manifest: MemoryManifest) {
  return execute(publishing, {
    driver,
    manifest,
    reporter: new EventLog(),
    signal: new AbortController().signal,
    secrets: { token: "hunter2-secret" },
    cwd: "/r",
    env: {},
  });
}

describe("publish in a build", () => {
  it("is refused before any work when the driver cannot push", async () => {
    const driver = new RecordingDriver();
    const manifest = new MemoryManifest();
    await expect(run(driver, manifest)).rejects.toMatchObject({ code: "push-driver", exitCode: 2 });
    expect(driver.calls).toEqual([]);
    expect(manifest.list).toEqual([]);
  });

  it("is refused before any work when the manifest cannot record events", async () => {
    const driver = Object.assign(new RecordingDriver(), {
      push: async () => ({
        destination: "docker://127.0.0.1:5000/web:1",
        digest: `sha256:${"a".repeat(64)}`,
      }),
    });
    const manifest = new MemoryManifest();
    await expect(run(driver, manifest)).rejects.toMatchObject({ code: "publish-unrecorded" });
    expect(driver.calls).toEqual([]);
  });
});
