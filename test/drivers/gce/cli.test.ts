import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openManifest } from "../../../src/manifest/manifest.js";
import type { FakeImage } from "../../fakes/gce/resources.js";
import { FakeCompute } from "../../fakes/gce/server.js";
import { GceProject } from "./project.js";

let fake: FakeCompute;
let project: GceProject;

beforeAll(async () => {
  fake = await FakeCompute.start();
  project = await GceProject.create();
});
afterAll(async () => {
  await fake.close();
  await project.remove();
});

function imageOf(artifact: string): FakeImage | undefined {
  const match = /^projects\/([^/]+)\/global\/images\/([^@]+)@\d+$/.exec(artifact);
  return match ? fake.images.get(`${match[1]}/${match[2]}`) : undefined;
}

async function records() {
  return (await openManifest(project.env(fake).BAKE_MANIFEST as string)).records();
}

describe("bake build --target gce (against the fake Compute Engine)", () => {
  test("builds, verifies and registers an image whose layers reach the disk, hostile values verbatim", async () => {
    const hostile = "$(touch /owned) `id` 'quoted' \"double\"\nsecond line";
    const result = await project.bake(fake, ["build", "recipe.yaml", "--var", `greeting=${hostile}`]);
    expect(result.stderr).not.toContain("internal error");
    expect(result.code).toBe(0);
    const [image] = (await records()).filter((r) => r.kind === "image");
    expect(image?.driver).toBe("gce");
    expect(image?.parent).toMatchObject({
      external: { ref: "gce:projects/debian-cloud/global/images/family/debian-12" },
    });
    const gceImage = imageOf(image?.artifact ?? "");
    expect(gceImage?.family).toBe("web");
    const top = gceImage?.layers[0] ?? "";
    expect(await readFile(join(top, "opt/app/greeting"), "utf8")).toBe(hostile);
    expect(existsSync(join(top, "owned"))).toBe(false);
    expect(await readFile(join(top, "opt/app/run.sh"), "utf8")).toBe("#!/bin/sh\necho running\n");
    expect(fake.live()).toMatchObject({ instances: 0, disks: 0 });
    // The builder's inventory step reported over the serial port: the busybox base has an os-release, no packages.
    expect(image?.details).toMatchObject({
      packages: "0",
      sbom: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect(result.stdout).toContain("inventory: 0 packages");
    expect(result.stdout + result.stderr).not.toContain("bake-inventory");
  });

  test("a second build with the same inputs launches no instance at all", async () => {
    const inserts = fake.calls("instances.insert").length;
    const hostile = "$(touch /owned) `id` 'quoted' \"double\"\nsecond line";
    const result = await project.bake(fake, ["build", "recipe.yaml", "--var", `greeting=${hostile}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("up to date");
    expect(fake.calls("instances.insert").length).toBe(inserts);
  });

  test("a change in the app layer reuses the cached runtime layer: one builder, one verifier", async () => {
    const before = fake.calls("instances.insert").length;
    const result = await project.bake(fake, ["build", "recipe.yaml", "--var", "app_version=2.5.0"]);
    expect(result.code).toBe(0);
    const inserts = fake.calls("instances.insert").slice(before);
    const roles = inserts.map(
      (call) => (call.body as { labels: Record<string, string> }).labels["bake-role"],
    );
    expect(roles).toEqual(["builder", "verify"]);
    expect(fake.live()).toMatchObject({ instances: 0, disks: 0 });
  });

  test("retain keep 1 deprecates the lineage's older image in favour of the new one", async () => {
    const images = (await records()).filter((r) => r.kind === "image");
    const [older, newer] = [imageOf(images[0]?.artifact ?? ""), imageOf(images[1]?.artifact ?? "")];
    expect(older?.deprecated).toEqual({
      state: "DEPRECATED",
      replacement: `https://www.googleapis.com/compute/v1/projects/bake-test/global/images/${newer?.name}`,
    });
    expect(newer?.deprecated).toBeUndefined();
  });

  test("an app lineage built on the web lineage carries the whole chain in its image description", async () => {
    await project.write(
      "edge.yaml",
      `apiVersion: bake/v1
name: edge
version: "1.0.0"
from: web
target: { driver: gce, project: bake-test, zone: us-central1-a }
layers:
  - name: proxy
    steps:
      - run: test -f /opt/app/run.sh && echo proxy > /opt/proxy
`,
    );
    const result = await project.bake(fake, ["build", "edge.yaml"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const all = await records();
    const edge = all.find((r) => r.kind === "image" && r.lineage === "edge");
    const web = all.filter((r) => r.kind === "image" && r.lineage === "web").at(-1);
    expect(edge?.parent).toEqual({ record: web?.id });
    const description = imageOf(edge?.artifact ?? "")?.description ?? "";
    expect(description).toMatch(
      /^bake lineage: edge 1\.0\.0 \[proxy\] <- web 2\.5\.0 \[app\] <- web 2\.4\.0 \[runtime\] <- debian-12-bookworm-v20260101@\d+$/m,
    );
    expect(description).toContain("from: web");
  });

  test("bake revoke also deprecates the Compute Engine image and labels it, despite a concurrent label change", async () => {
    fake.inject({ call: "images.setLabels", kind: "stale-fingerprint" });
    const result = await project.bake(fake, ["revoke", "web#2", "--reason", "CVE-2026-1234"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const images = (await records()).filter((r) => r.kind === "image");
    const revoked = imageOf(images[1]?.artifact ?? "");
    expect(revoked?.deprecated?.state).toBe("DEPRECATED");
    expect(revoked?.labels).toMatchObject({ "bake-revoked": "true", "other-writer": "was-here" });
    expect(result.stdout).toContain(`deprecated Compute Engine image ${revoked?.name}`);
  });

  test("bake revoke reports a persistent stale fingerprint with the call that failed", async () => {
    fake.inject({ call: "images.setLabels", kind: "stale-fingerprint", times: 5 });
    const result = await project.bake(fake, ["revoke", "web#1", "--reason", "old"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("images.setLabels");
    expect(result.stderr).toContain("HTTP 412");
    fake.clearFaults();
  });

  test("a failing build registers nothing and names the failing call", async () => {
    const before = (await records()).length;
    fake.inject({ call: "images.insert", kind: "quota" });
    const result = await project.bake(fake, ["build", "recipe.yaml", "--var", "app_version=9.9.9"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("images.insert");
    expect(result.stderr).toContain("Quota");
    expect((await records()).length).toBe(before);
    expect(fake.live()).toMatchObject({ instances: 0, disks: 0 });
  });
});

describe("bake build --target gce under injected faults", () => {
  const faults = [
    {
      name: "quota on instances.insert",
      call: "instances.insert",
      kind: "quota",
      says: "HTTP 403 quotaExceeded",
    },
    {
      name: "persistent 5xx on images.insert",
      call: "images.insert",
      kind: "server-error",
      times: 4,
      says: "HTTP 503",
    },
    {
      name: "failed operation of instances.stop",
      call: "instances.stop",
      kind: "operation-error",
      says: "INTERNAL_ERROR",
    },
    {
      name: "failed operation of instances.insert",
      call: "instances.insert",
      kind: "operation-error",
      says: "ZONE_RESOURCE_POOL_EXHAUSTED",
    },
  ] as const;
  for (const fault of faults) {
    test(`${fault.name}: exit 1, the call named, nothing registered, nothing leaked`, async () => {
      const before = (await records()).length;
      fake.clearFaults();
      fake.inject({ call: fault.call, kind: fault.kind, times: "times" in fault ? fault.times : 1 });
      const result = await project.bake(fake, [
        "build",
        "recipe.yaml",
        "--var",
        "app_version=7.0.0",
        "--no-cache",
      ]);
      fake.clearFaults();
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(fault.call);
      expect(result.stderr).toContain(fault.says);
      expect((await records()).length).toBe(before);
      expect(fake.live()).toMatchObject({ instances: 0, disks: 0 });
    });
  }

  test("a startup script that never signals: exit 1, the serial call named, nothing leaked", async () => {
    const before = (await records()).length;
    fake.silenceGuests();
    try {
      const result = await project.bake(
        fake,
        ["build", "recipe.yaml", "--var", "app_version=7.0.1", "--no-cache"],
        {
          BAKE_GCE_BUILD_TIMEOUT: "2s",
        },
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("instances.getSerialPortOutput");
      expect(result.stderr).toContain("reported no result within 2s");
    } finally {
      fake.silenceGuests(false);
    }
    expect((await records()).length).toBe(before);
    expect(fake.live()).toMatchObject({ instances: 0, disks: 0 });
  });
});

describe("bake gc --target gce", () => {
  test("deletes instances and disks labelled by runs older than the limit, and keeps younger ones", async () => {
    const base = fake.images.get("debian-cloud/debian-12-bookworm-v20260101") as FakeImage;
    const old = fake.addServer({
      project: "bake-test",
      zone: "us-central1-b",
      name: "bake-web-l0-dead",
      image: base,
    });
    old.labels = { "bake-run": "bake-dead-000001" };
    const oldDisk = [...fake.disks.values()].find((d) => d.name === "bake-web-l0-dead");
    if (oldDisk) oldDisk.labels = { "bake-run": "bake-dead-000001" };
    const orphan = fake.addServer({
      project: "bake-test",
      zone: "us-central1-b",
      name: "orphan-src",
      image: base,
    });
    const orphanDisk = [...fake.disks.values()].find((d) => d.name === "orphan-src");
    fake.instances.delete(`bake-test/us-central1-b/${orphan.name}`);
    if (orphanDisk) {
      orphanDisk.users = [];
      orphanDisk.labels = { "bake-run": "bake-dead-000002" };
    }
    fake.backdate(7 * 3_600_000);
    const young = fake.addServer({
      project: "bake-test",
      zone: "us-central1-a",
      name: "bake-web-l0-live",
      image: base,
    });
    young.labels = { "bake-run": "bake-live-000003" };
    const keep = fake.addServer({
      project: "bake-test",
      zone: "us-central1-a",
      name: "web-prod-1",
      image: base,
    });

    const dry = await project.bake(fake, ["gc", "--target", "gce", "--older-than", "6h", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("would remove 1 instance and 2 disks");
    expect(fake.instances.has("bake-test/us-central1-b/bake-web-l0-dead")).toBe(true);

    const result = await project.bake(fake, ["gc", "--target", "gce", "--older-than", "6h"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("instance bake-web-l0-dead (us-central1-b, run bake-dead-000001");
    expect(result.stdout).toContain("disk orphan-src");
    expect(fake.instances.has("bake-test/us-central1-b/bake-web-l0-dead")).toBe(false);
    expect([...fake.disks.values()].map((d) => d.name).sort()).toEqual(["bake-web-l0-live", "web-prod-1"]);
    expect(fake.instances.has(`bake-test/us-central1-a/${young.name}`)).toBe(true);
    expect(fake.instances.has(`bake-test/us-central1-a/${keep.name}`)).toBe(true);
    fake.instances.delete(`bake-test/us-central1-a/${young.name}`);
    fake.instances.delete(`bake-test/us-central1-a/${keep.name}`);
    for (const disk of [...fake.disks.keys()]) fake.disks.delete(disk);
  });
});
