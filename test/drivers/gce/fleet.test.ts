import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { DriverContext } from "../../../src/drivers/driver.js";
import { formatImageId } from "../../../src/drivers/gce/image-ref.js";
import { GceDriver } from "../../../src/drivers/gce/index.js";
import { FakeCompute } from "../../fakes/gce/server.js";
import { recorder } from "./helpers.js";

let fake: FakeCompute;
let driver: GceDriver;
let ctx: DriverContext;
const project = "bake-test";

beforeAll(async () => {
  fake = await FakeCompute.start({ groupTickMs: 10, operationLatencyMs: 5 });
  driver = new GceDriver();
  ctx = {
    cwd: "/",
    env: { BAKE_GCE_ENDPOINT: fake.endpoint, BAKE_GCE_PROJECT: project, BAKE_GCE_RETRY_DELAY: "10ms" },
    signal: new AbortController().signal,
    reporter: recorder(),
  };
  const image = fake.addImage({ project, name: "app-1" });
  const template = fake.addTemplate({ project, name: "app-t1", image });
  fake.addGroup({ project, name: "zonal", template, size: 2, zone: "us-central1-a" });
  fake.addGroup({ project, name: "regional", template, size: 3, region: "europe-west1", healthCheck: false });
});
afterAll(async () => {
  await driver.close();
  await fake.close();
});

describe("the gce driver's fleet primitives", () => {
  test("list zonal and regional groups with each instance's template, exact image, address and health", async () => {
    const groups = await driver.fleet.groups(ctx);
    expect(groups.map((g) => [g.name, g.zone ?? g.region, g.targetSize, g.healthCheck ?? null])).toEqual([
      ["regional", "europe-west1", 3, null],
      ["zonal", "us-central1-a", 2, "web-http"],
    ]);
    const image = fake.images.get(`${project}/app-1`);
    const exact = formatImageId({ project, name: "app-1", numericId: image?.id as string });
    const zonal = groups[1];
    expect(zonal).toMatchObject({ template: "app-t1", isStable: true, versionReached: true });
    for (const member of zonal?.members ?? []) {
      expect(member).toMatchObject({
        template: "app-t1",
        zone: "us-central1-a",
        status: "RUNNING",
        action: "NONE",
        health: "HEALTHY",
        image: exact,
        address: expect.stringMatching(/^10\.128\.\d+\.\d+$/),
      });
    }
    expect(new Set(groups[0]?.members.map((m) => m.zone))).toEqual(
      new Set(["europe-west1-a", "europe-west1-b", "europe-west1-c"]),
    );
  });

  test("refuse to make a template from an image whose name now holds another image", async () => {
    const old = fake.addImage({ project, name: "app-2" });
    const recorded = formatImageId({ project, name: "app-2", numericId: old.id });
    fake.images.delete(`${project}/app-2`);
    fake.addImage({ project, name: "app-2" });
    await expect(
      driver.fleet.createTemplate({ from: "app-t1", name: "bake-app-2", image: recorded, labels: {} }, ctx),
    ).rejects.toThrow(/image app-2 is no longer the recorded image/);
    expect(fake.liveTemplates()).not.toContain("bake-app-2");
  });

  test("reuse a template of the same name, and treat deleting a missing one as done", async () => {
    const image = fake.addImage({ project, name: "app-3" });
    const id = formatImageId({ project, name: "app-3", numericId: image.id });
    const input = { from: "app-t1", name: "bake-app-3", image: id, labels: { "bake-lineage": "app" } };
    const first = await driver.fleet.createTemplate(input, ctx);
    const again = await driver.fleet.createTemplate(input, ctx);
    expect(again).toEqual(first);
    expect(first).toMatchObject({
      image: `projects/${project}/global/images/app-3`,
      labels: { team: "heroes" },
    });
    expect(fake.calls("instanceTemplates.insert")).toHaveLength(1);
    await driver.fleet.deleteTemplate("bake-app-3", ctx);
    await driver.fleet.deleteTemplate("bake-app-3", ctx);
    expect(fake.liveTemplates()).not.toContain("bake-app-3");
  });
});
