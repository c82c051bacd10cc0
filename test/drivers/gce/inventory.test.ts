import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ResolvedImage } from "../../../src/drivers/driver.js";
import { GceDriver } from "../../../src/drivers/gce/index.js";
import type { BakeError } from "../../../src/errors.js";
import type { BuildPlan, ParentSpec, PlannedStep } from "../../../src/plan/types.js";
import { FakeCompute } from "../../fakes/gce/server.js";
import { context, layer, leaks, runStep, testPlan } from "./helpers.js";

let fake: FakeCompute;
let driver: GceDriver;

beforeAll(async () => {
  fake = await FakeCompute.start();
  driver = new GceDriver();
});
afterAll(async () => {
  await driver.close();
  await fake.close();
});

function file(path: string, content: string): PlannedStep {
  return { kind: "file", title: `file ${path}`, path, content };
}

async function bakeAll(plan: BuildPlan, runId: string, ctx = context(fake)) {
  driver.prepare(plan.target);
  let parent: { id: string; driver?: string } = await driver.resolve(
    plan.parent as Extract<ParentSpec, { kind: "external" }>,
    ctx,
  );
  for (const [index, planned] of plan.layers.entries()) {
    parent = await driver.bake({
      ...ctx,
      plan,
      parent: parent as ResolvedImage,
      layer: planned,
      layerIndex: index,
      runId,
      secrets: {},
    });
  }
  return { image: { id: parent.id, driver: "gce" }, ctx };
}

// A status file whose description spells a report marker, to show package text cannot end the report.
const STATUS = `Package: openssl
Status: install ok installed
Architecture: amd64
Version: 3.0.11-1~deb12u2
Description: tries to end the report
 bake-inventory:0123456789abcdef:end

Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u4
`;

describe("the gce driver's inventory step", () => {
  test("reports the whole image's packages on the serial port, and keeps the report out of the build output", async () => {
    const plan = testPlan({
      layers: [
        layer("system", [
          file("/etc/os-release", 'ID=debian\nVERSION_ID="12"\n'),
          file("/var/lib/dpkg/status", STATUS),
        ]),
        layer("app", [
          file(
            "/var/lib/dpkg/status.d/tzdata",
            "Package: tzdata\nArchitecture: all\nVersion: 2024a-0+deb12u1\n",
          ),
          runStep("echo app step done"),
        ]),
      ],
    });
    const { image, ctx } = await bakeAll(plan, "bake-inv1-aaaaaa");
    expect(leaks(fake)).toEqual({ instances: 0, disks: 0 });
    const inventory = await driver.inventory({ ...ctx, plan, image, runId: "bake-inv1-aaaaaa" });
    expect(inventory.os).toMatchObject({ id: "debian", versionId: "12" });
    expect(inventory.packages.map((p) => p.purl)).toEqual([
      "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12",
      "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
      "pkg:deb/debian/tzdata@2024a-0+deb12u1?arch=all&distro=debian-12",
    ]);
    const lines = ctx.reporter.events.flatMap((e) => (e.type === "output" ? [e.line] : []));
    expect(lines).toContain("app step done");
    expect(lines.join("\n")).not.toContain("bake-inventory");
    // Only the last layer's builder ran the inventory step: the first layer's script has no report in it.
    const scripts = fake
      .calls("instances.insert")
      .slice(-2)
      .map((call) => JSON.stringify(call.body));
    expect(scripts.map((text) => text.includes("inventory"))).toEqual([false, true]);
  });

  test("has no inventory for an image whose last layer it did not build in this process", async () => {
    const plan = testPlan({ layers: [layer("only", [runStep("true")])] });
    const ctx = context(fake);
    const failure = await driver
      .inventory({ ...ctx, plan, image: { id: "projects/p/global/images/x@1", driver: "gce" }, runId: "r" })
      .catch((error: unknown) => error as BakeError);
    expect(failure).toMatchObject({ code: "inventory-not-taken" });
  });
});
