import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Compute, openCompute } from "../../../src/drivers/gce/client.js";
import type { FakeImage } from "./resources.js";
import { FakeCompute } from "./server.js";

let fake: FakeCompute;
let compute: Compute;

beforeAll(async () => {
  fake = await FakeCompute.start({ operationLatencyMs: 1000, waitTimeoutMs: 50 });
  compute = openCompute({ endpoint: fake.endpoint });
});
afterAll(async () => {
  await compute.close();
  await fake.close();
});

describe("the fake Compute Engine server", () => {
  test("serves the real client's getFromFamily over HTTP on loopback", async () => {
    const [image] = await compute.images.getFromFamily({ project: "debian-cloud", family: "debian-12" });
    expect(image.name).toBe("debian-12-bookworm-v20260101");
    expect(image.selfLink).toBe(
      "https://www.googleapis.com/compute/v1/projects/debian-cloud/global/images/debian-12-bookworm-v20260101",
    );
    expect(fake.calls("images.getFromFamily")[0]?.path).toBe(
      "/compute/v1/projects/debian-cloud/global/images/family/debian-12",
    );
  });

  test("answers wait with a running operation until it is done, then the instance runs", async () => {
    const [handle] = await compute.instances.insert({
      project: "p-test",
      zone: "us-central1-a",
      requestId: "00000000-0000-4000-8000-000000000001",
      instanceResource: {
        name: "vm-1",
        machineType: "zones/us-central1-a/machineTypes/e2-small",
        disks: [
          {
            boot: true,
            autoDelete: true,
            initializeParams: { sourceImage: "projects/debian-cloud/global/images/family/debian-12" },
          },
        ],
      },
    });
    const name = (handle.latestResponse as { name: string }).name;
    const statuses: string[] = [];
    for (;;) {
      const [op] = await compute.zoneOperations.wait({
        project: "p-test",
        zone: "us-central1-a",
        operation: name,
      });
      statuses.push(String(op.status));
      if (op.status === "DONE") break;
    }
    expect(statuses.length).toBeGreaterThan(1);
    expect(statuses.at(-1)).toBe("DONE");
    expect(fake.calls("instances.insert")[0]?.query.requestId).toBe("00000000-0000-4000-8000-000000000001");
    const [instance] = await compute.instances.get({
      project: "p-test",
      zone: "us-central1-a",
      instance: "vm-1",
    });
    expect(instance.status).toBe("RUNNING");
    expect(fake.disks.has("p-test/us-central1-a/vm-1")).toBe(true);
  });

  test("returns the same operation for a repeated requestId instead of a second instance", async () => {
    const request = {
      project: "p-test",
      zone: "us-central1-a",
      requestId: "00000000-0000-4000-8000-000000000002",
      instanceResource: {
        name: "vm-2",
        machineType: "e2-small",
        disks: [
          {
            boot: true,
            initializeParams: { sourceImage: "projects/debian-cloud/global/images/family/debian-12" },
          },
        ],
      },
    };
    const before = fake.instances.size;
    const [first] = await compute.instances.insert(request);
    const [second] = await compute.instances.insert(request);
    expect(second.name).toBe(first.name);
    expect(fake.instances.size).toBe(before + 1);
  });

  test("maps an injected quota fault to an HTTP 403 the client reports", async () => {
    fake.inject({ call: "images.get", kind: "quota" });
    const failure = await compute.images
      .get({ project: "debian-cloud", image: "debian-12-bookworm-v20260101" })
      .then(
        () => undefined,
        (error: unknown) => error as { status?: number; message: string },
      );
    expect(failure?.status).toBe(403);
    expect(failure?.message).toContain("Quota 'CPUS' exceeded");
  });

  test("reads serial output from a start offset", async () => {
    const instance = fake.addServer({
      project: "p-test",
      zone: "us-central1-a",
      name: "web-1",
      image: fake.images.values().next().value as FakeImage,
    });
    instance.serial = Buffer.from("hello\nworld\n");
    const [out] = await compute.instances.getSerialPortOutput({
      project: "p-test",
      zone: "us-central1-a",
      instance: "web-1",
      start: 6,
    });
    expect(out.contents).toBe("world\n");
    expect(out.next).toBe("12");
    expect(fake.calls("instances.getSerialPortOutput")[0]?.query.start).toBe("6");
  });
});

describe("the fake's safety nets", () => {
  test("deletes an instance and its auto-delete disk once its maxRunDuration has passed", async () => {
    const quick = await FakeCompute.start({ msPerSecond: 20, operationLatencyMs: 10 });
    const client = openCompute({ endpoint: quick.endpoint });
    try {
      await client.instances.insert({
        project: "p-test",
        zone: "us-central1-a",
        instanceResource: {
          name: "short-lived",
          machineType: "e2-small",
          scheduling: { maxRunDuration: { seconds: 3 }, instanceTerminationAction: "DELETE" },
          disks: [
            {
              boot: true,
              autoDelete: true,
              initializeParams: { sourceImage: "projects/debian-cloud/global/images/family/debian-12" },
            },
          ],
        },
      });
      await quick.waitFor(() => quick.live().disks === 1, 5000);
      await quick.waitFor(() => quick.live().instances === 0 && quick.live().disks === 0, 5000);
      expect(quick.live()).toMatchObject({ instances: 0, disks: 0 });
    } finally {
      await client.close();
      await quick.close();
    }
  });

  test("refuses an image from the disk of a running instance, as Compute Engine does", async () => {
    const image = fake.images.values().next().value as FakeImage;
    fake.addServer({ project: "p-test", zone: "us-central1-a", name: "busy", image });
    const failure = await compute.images
      .insert({
        project: "p-test",
        imageResource: { name: "snap", sourceDisk: "zones/us-central1-a/disks/busy" },
      })
      .then(
        () => undefined,
        (error: unknown) => error as { status?: number; message: string },
      );
    expect(failure?.status).toBe(400);
    expect(failure?.message).toContain("resourceInUseByAnotherResource");
  });
});
