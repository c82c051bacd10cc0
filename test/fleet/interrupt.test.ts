import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ManifestEvent } from "../../src/manifest/types.js";
import { bakeBin, ensureBuilt } from "../helpers/compiled-cli.js";
import { FleetFixture, ZONE } from "./fleet-fixture.js";

let fixture: FleetFixture;

// Signals must reach a real bake process, so this file runs the compiled CLI (built when stale).
beforeAll(async () => {
  await ensureBuilt();
  fixture = await FleetFixture.create();
}, 300_000);
afterAll(async () => {
  await fixture?.close();
});

describe("SIGINT in the middle of a rollout", () => {
  test("exits 130, records an interrupted rollout, and leaves the group updating, which bake fleet shows", async () => {
    const { fake } = fixture;
    const child = spawn(
      process.execPath,
      [
        bakeBin,
        "rollout",
        "web#2",
        "--target",
        "gce",
        "--group",
        "web",
        "--zone",
        ZONE,
        "--max-surge",
        "3",
        "--max-unavailable",
        "0",
      ],
      { cwd: fixture.dir, env: fixture.env(), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stdout.resume();
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    const onNew = () => fake.group("web").members.filter((m) => m.template !== "web-template-1").length;
    await fake.waitFor(() => onNew() >= 6, 30_000);
    // Hold the group where it is, so bake fleet sees the update under way.
    fake.stallGroup("web", 1_000_000);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/interrupted/);

    await fixture.manifest.reload();
    const rollout = fixture.manifest
      .events()
      .find((e): e is Extract<ManifestEvent, { event: "rollout" }> => e.event === "rollout");
    expect(rollout?.rollout).toMatchObject({
      group: "web",
      result: "interrupted",
      fromTemplate: "web-template-1",
    });

    const during = await fixture.bake(["fleet", "--target", "gce", "--json"]);
    const [group] = (
      JSON.parse(during.stdout) as {
        groups: { inProgress: boolean; stragglers: unknown[]; template: string }[];
      }
    ).groups;
    expect(group?.inProgress).toBe(true);
    expect(group?.template).toBe(rollout?.rollout.toTemplate);
    expect(group?.stragglers.length).toBeGreaterThan(0);
    const text = await fixture.bake(["fleet", "--target", "gce"]);
    expect(text.stdout).toMatch(
      /^group web \(us-central1-a\): \d+\/20 on web#2 .*rollout in progress to bake-web-2-\w+$/m,
    );
    expect(text.stdout).toMatch(/last rollout: web-template-1 -> bake-web-2-\w+ interrupted/);

    // The documented state: Compute Engine finishes the update by itself, and nothing is left over.
    fake.stallGroup("web", 0);
    await fake.waitFor(
      () =>
        fake
          .group("web")
          .members.every((m) => m.template === rollout?.rollout.toTemplate && m.action === "NONE") &&
        fake.group("web").members.length === 20,
      30_000,
    );
    expect(fake.group("web").stats.minHealthy).toBeGreaterThanOrEqual(20);
    expect(fake.group("web").stats.maxInstances).toBeLessThanOrEqual(23);
    expect(fake.live()).toMatchObject({ instances: 20, disks: 20 });
    expect(fake.liveTemplates()).toEqual([rollout?.rollout.toTemplate, "web-template-1"].sort());
    const after = await fixture.bake(["fleet", "--target", "gce", "--json"]);
    expect(
      (JSON.parse(after.stdout) as { groups: { onTarget: number; inProgress: boolean }[] }).groups[0],
    ).toMatchObject({
      onTarget: 20,
      inProgress: false,
    });
  }, 120_000);
});
