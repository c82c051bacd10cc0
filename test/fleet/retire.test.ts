import { afterEach, describe, expect, test } from "vitest";
import type { FakeImage } from "../fakes/gce/resources.js";
import { FleetFixture, PROJECT, ZONE } from "./fleet-fixture.js";

let fixture: FleetFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe("template retention after a rollout", () => {
  test("deletes only the lineage's bake-made templates beyond keep that no group uses", async () => {
    fixture = await FleetFixture.create({ size: 3 });
    const { fake, images } = fixture;
    const day = 86_400_000;
    const made = (name: string, ageDays: number, lineage = "web") => {
      const template = fake.addTemplate({
        project: PROJECT,
        name,
        image: images[0] as FakeImage,
        labels: { "bake-lineage": lineage },
      });
      template.creationTimestamp = new Date(Date.now() - ageDays * day).toISOString();
      return template;
    };
    made("bake-web-old-unused", 3);
    const canary = made("bake-web-old-canary", 2);
    made("bake-api-old", 4, "api");
    fake.addGroup({ project: PROJECT, name: "canary", template: canary, size: 1, zone: ZONE });

    const result = await fixture.bake([
      "rollout",
      "web#2",
      "--target",
      "gce",
      "--group",
      "web",
      "--zone",
      ZONE,
      "--keep",
      "1",
      "--json",
    ]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout.trimEnd().split("\n").at(-1) as string) as {
      retired: { kept: string[]; deleted: string[]; inUse: string[] };
      toTemplate: string;
    };
    expect(summary.retired).toEqual({
      kept: [summary.toTemplate],
      deleted: ["bake-web-old-unused"],
      inUse: ["bake-web-old-canary"],
      failed: [],
    });
    // The group's old template was not made by bake, and another lineage's templates are not this one's to retire.
    expect(fake.liveTemplates()).toEqual(
      ["bake-api-old", "bake-web-old-canary", summary.toTemplate, "web-template-1"].sort(),
    );
  }, 60_000);

  test("the fake refuses to delete a template a group still uses, as Compute Engine does", async () => {
    fixture = await FleetFixture.create({ size: 1 });
    const { openCompute } = await import("../../src/drivers/gce/client.js");
    const compute = openCompute({ endpoint: fixture.fake.endpoint });
    try {
      await expect(
        compute.instanceTemplates.delete({ project: PROJECT, instanceTemplate: "web-template-1" }),
      ).rejects.toThrow(/already being used by/);
      expect(fixture.fake.liveTemplates()).toEqual(["web-template-1"]);
    } finally {
      await compute.close();
    }
  });
});
