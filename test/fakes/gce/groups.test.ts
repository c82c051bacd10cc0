import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Compute, openCompute } from "../../../src/drivers/gce/client.js";
import type { FakeImage } from "./resources.js";
import { FakeCompute } from "./server.js";

let fake: FakeCompute;
let compute: Compute;
const project = "bake-test";

beforeAll(async () => {
  fake = await FakeCompute.start({ groupTickMs: 5, operationLatencyMs: 5 });
  compute = openCompute({ endpoint: fake.endpoint });
});
afterAll(async () => {
  await compute.close();
  await fake.close();
});

async function settle(name: string): Promise<void> {
  await fake.waitFor(() => {
    const group = fake.group(name);
    return (
      group.members.length === group.targetSize &&
      group.members.every((m) => m.action === "NONE" && m.template === group.template)
    );
  }, 20_000);
}

describe("the fake's managed instance groups, through the real client", () => {
  test("replace a zonal group with max unavailable 25% and no surge, never below 75% healthy nor above the size", async () => {
    const old = fake.addImage({ project, name: "app-1" });
    const next = fake.addImage({ project, name: "app-2" });
    const from = fake.addTemplate({ project, name: "app-1-t", image: old });
    fake.addTemplate({ project, name: "app-2-t", image: next });
    fake.addGroup({ project, name: "app", template: from, size: 8, zone: "us-central1-f" });
    const [before] = await compute.instanceGroupManagers.get({
      project,
      zone: "us-central1-f",
      instanceGroupManager: "app",
    });
    expect(before.status).toMatchObject({ isStable: true, versionTarget: { isReached: true } });
    const link = `projects/${project}/global/instanceTemplates/app-2-t`;
    // Hold the group so the read below sees the update under way, however loaded the machine is.
    fake.stallGroup("app", 1_000_000);
    const [patch] = await compute.instanceGroupManagers.patch({
      project,
      zone: "us-central1-f",
      instanceGroupManager: "app",
      instanceGroupManagerResource: {
        versions: [{ instanceTemplate: link }],
        updatePolicy: { type: "PROACTIVE", maxSurge: { fixed: 0 }, maxUnavailable: { percent: 25 } },
      },
    });
    // The patch lands when its operation is done: wait for it as a client does, then read.
    const operation = (patch.latestResponse as { name: string }).name;
    for (let status = ""; status !== "DONE"; ) {
      const [waited] = await compute.zoneOperations.wait({ project, zone: "us-central1-f", operation });
      status = String(waited.status);
    }
    const [moving] = await compute.instanceGroupManagers.get({
      project,
      zone: "us-central1-f",
      instanceGroupManager: "app",
    });
    expect(moving.status?.versionTarget?.isReached).toBe(false);
    expect(moving.updatePolicy?.maxUnavailable).toMatchObject({ percent: 25, calculated: 2 });
    fake.stallGroup("app", 0);
    await settle("app");
    const group = fake.group("app");
    expect(group.stats.minHealthy).toBeGreaterThanOrEqual(6);
    expect(group.stats.maxInstances).toBeLessThanOrEqual(8);
    const members: unknown[] = [];
    for await (const member of compute.instanceGroupManagers.listManagedInstancesAsync(
      { project, zone: "us-central1-f", instanceGroupManager: "app" },
      { autoPaginate: false },
    ))
      members.push(member);
    expect(members).toHaveLength(8);
    for (const member of members) {
      expect(member).toMatchObject({
        currentAction: "NONE",
        instanceStatus: "RUNNING",
        version: { instanceTemplate: expect.stringMatching(/\/instanceTemplates\/app-2-t$/) },
        instanceHealth: [{ detailedHealthState: "HEALTHY" }],
      });
    }
    const disk = [...fake.disks.values()].find((d) => d.name === group.members[0]?.name);
    expect(disk?.sourceImageId).toBe((fake.images.get(`${project}/app-2`) as FakeImage).id);
  }, 30_000);

  test("refuse a regional fixed surge below the number of zones, and both limits at zero", async () => {
    const image = fake.addImage({ project, name: "reg-1" });
    const template = fake.addTemplate({ project, name: "reg-1-t", image });
    fake.addGroup({ project, name: "reg", template, size: 3, region: "europe-west1" });
    const patch = (maxSurge: object, maxUnavailable: object) =>
      compute.regionInstanceGroupManagers.patch({
        project,
        region: "europe-west1",
        instanceGroupManager: "reg",
        instanceGroupManagerResource: { updatePolicy: { type: "PROACTIVE", maxSurge, maxUnavailable } },
      });
    await expect(patch({ fixed: 1 }, { fixed: 0 })).rejects.toThrow(/at least equal to the number of zones/);
    await expect(patch({ fixed: 0 }, { fixed: 0 })).rejects.toThrow(/cannot both be 0/);
  });
});
