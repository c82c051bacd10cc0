import { afterEach, describe, expect, test } from "vitest";
import { shortId } from "../../src/manifest/hash.js";
import type { ManifestEvent } from "../../src/manifest/types.js";
import { FleetFixture } from "./fleet-fixture.js";

let fixture: FleetFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const ROLLOUT = ["rollout", "--target", "gce", "--group", "web", "--zone", "us-central1-a"];

describe("bake rollout", () => {
  test("replaces the seed's 20 servers with surge 3 and none unavailable, never below 20 healthy nor above 23 instances", async () => {
    fixture = await FleetFixture.create();
    const { fake, records, images } = fixture;
    const target = records[1]!;
    const result = await fixture.bake([...ROLLOUT, "web#2", "--max-surge", "3", "--max-unavailable", "0"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const group = fake.group("web");
    expect(group.stats.minHealthy).toBeGreaterThanOrEqual(20);
    expect(group.stats.maxInstances).toBeLessThanOrEqual(23);
    expect(group.stats.maxInstances).toBe(23);
    const template = `bake-web-2-${shortId(target.id)}`;
    expect(fixture.templates()).toEqual({ [template]: 20 });
    // Replacements have new names and boot from the record's exact image.
    for (const member of group.members) {
      expect(member.name).toMatch(/^web-[0-9a-f]{4}$/);
      const disk = fake.disks.get(`bake-test/us-central1-a/${member.name}`);
      expect(disk?.sourceImageId).toBe(images[1]?.id);
      expect(member.instance?.labels).toMatchObject({
        team: "heroes",
        "bake-lineage": "web",
        "bake-version": "2-5-0",
      });
    }
    expect(fake.live().instances).toBe(20);
    expect(result.stdout).toMatch(/replaced/);
    expect(result.stdout).toContain(
      `rolled out ${template} to web: 20/20 instances on the new record and healthy`,
    );

    await fixture.manifest.reload();
    const events = fixture.manifest.events();
    const rollouts = events.filter(
      (e): e is Extract<ManifestEvent, { event: "rollout" }> => e.event === "rollout",
    );
    expect(rollouts).toHaveLength(1);
    expect(rollouts[0]).toMatchObject({
      target: target.id,
      rollout: {
        group: "web",
        zone: "us-central1-a",
        fromTemplate: "web-template-1",
        toTemplate: template,
        fromRecord: records[0]?.id,
        result: "succeeded",
        instances: 20,
      },
    });
    expect(fixture.manifest.observations(target.id)).toHaveLength(20);
  }, 60_000);
});
