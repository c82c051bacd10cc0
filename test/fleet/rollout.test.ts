import { afterEach, describe, expect, test } from "vitest";
import { shortId } from "../../src/manifest/hash.js";
import type { ImageRecord, ManifestEvent } from "../../src/manifest/types.js";
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
    const target = records[1] as ImageRecord;
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
    // The new template is the group's old one with the record's image and bake's labels, nothing else changed.
    const before = fake.fleet.template("bake-test", "web-template-1")?.properties as Record<string, unknown>;
    const after = fake.fleet.template("bake-test", template)?.properties as Record<string, unknown>;
    const copied = ["machineType", "metadata", "serviceAccounts", "tags", "networkInterfaces"] as const;
    for (const key of copied) expect(after[key]).toMatchObject(before[key] as object);
    const bootOf = (p: Record<string, unknown>) => (p.disks as Record<string, Record<string, unknown>>[])[0];
    expect(bootOf(after)).toMatchObject({ ...bootOf(before), initializeParams: expect.any(Object) });
    expect(bootOf(after)?.initializeParams).toMatchObject({
      diskSizeGb: "10",
      diskType: "pd-balanced",
      sourceImage: `projects/bake-test/global/images/${images[1]?.name}`,
    });
    expect(after.labels).toEqual({
      team: "heroes",
      "bake-lineage": "web",
      "bake-version": "2-5-0",
      "bake-record": shortId(target.id),
    });
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

    const fleet = await fixture.bake(["fleet", "--target", "gce", "--json"]);
    expect(fleet.code).toBe(0);
    const report = JSON.parse(fleet.stdout) as { groups: Record<string, unknown>[] };
    expect(report.groups).toEqual([
      expect.objectContaining({
        group: "web",
        zone: "us-central1-a",
        template,
        record: target.id,
        onTarget: 20,
        targetSize: 20,
        inProgress: false,
        records: [expect.objectContaining({ record: target.id, instances: 20 })],
        stragglers: [],
        lastRollout: expect.objectContaining({ result: "succeeded", toTemplate: template }),
      }),
    ]);
    const text = await fixture.bake(["fleet", "--target", "gce"]);
    expect(text.stdout).toMatch(
      new RegExp(
        `^group web \\(us-central1-a\\): 20/20 on web#2 2\\.5\\.0 \\(${shortId(target.id)}\\), stable$`,
        "m",
      ),
    );
    expect(text.stdout).toMatch(/^ {2}web#2 2\.5\.0 \(\w+\): 20 instances$/m);

    const history = await fixture.bake(["history", "web"]);
    expect(history.stdout).toMatch(/#2 .*live: web\/us-central1-a \(20\)$/m);
    expect(history.stdout).not.toMatch(/#1 .*live:/m);
    const historyJson = JSON.parse((await fixture.bake(["history", "--json"])).stdout) as {
      live: Record<string, unknown>;
    };
    expect(historyJson.live).toEqual({
      [target.id]: [{ group: "web", where: "us-central1-a", instances: 20 }],
    });
  }, 60_000);

  test("rolls back by itself when the new image's instances fail the health check, and exits 1 naming the reason", async () => {
    fixture = await FleetFixture.create();
    const { fake, records, images } = fixture;
    fake.unhealthyImage(images[2]?.name as string);
    const result = await fixture.bake([
      ...ROLLOUT,
      "web#3",
      "--max-surge",
      "3",
      "--max-unavailable",
      "0",
      "--timeout",
      "60s",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is UNHEALTHY by the group's health check web-http/);
    expect(result.stderr).toContain("rolled back: web runs web-template-1 again");
    expect(fixture.templates()).toEqual({ "web-template-1": 20 });
    const group = fake.group("web");
    expect(group.template).toBe("web-template-1");
    expect(group.stats.minHealthy).toBeGreaterThanOrEqual(20);
    expect(group.stats.maxInstances).toBeLessThanOrEqual(23);
    // Nothing leaked: the template bake made is gone, every instance and disk is the group's.
    expect(fake.liveTemplates()).toEqual(["web-template-1"]);
    expect(fake.live()).toMatchObject({ instances: 20, disks: 20 });
    await fixture.manifest.reload();
    const rollout = fixture.manifest.events().find((e) => e.event === "rollout");
    expect(rollout).toMatchObject({
      target: records[2]?.id,
      rollout: { result: "rolled-back", reason: expect.stringMatching(/UNHEALTHY/) },
    });
    // After a rollback the old image is what runs.
    const history = await fixture.bake(["history", "web"]);
    expect(history.stdout).toMatch(/#1 .*live: web\/us-central1-a \(20\)$/m);
    expect(history.stdout).not.toMatch(/#3 .*live:/m);
  }, 60_000);

  test("rolls back from a quota error in the middle of the update, leaving nothing behind", async () => {
    fixture = await FleetFixture.create();
    const { fake } = fixture;
    const running = fixture.bake([
      ...ROLLOUT,
      "web#2",
      "--max-surge",
      "3",
      "--max-unavailable",
      "0",
      "--json",
    ]);
    // Once a few servers are replaced, the project runs out of CPUs for the next ones (for a few attempts).
    await fake.waitFor(
      () => fake.group("web").members.filter((m) => m.template !== "web-template-1").length >= 6,
    );
    fake.inject({ call: "managedInstances.create", kind: "quota", times: 3 });
    const result = await running;
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout.trimEnd().split("\n").at(-1) as string) as {
      result: string;
      reason: string;
      templateDeleted: boolean;
    };
    expect(summary).toMatchObject({ result: "rolled-back", templateDeleted: true });
    expect(summary.reason).toMatch(
      /could not create instance web-[0-9a-f]{4} of bake-web-2-\w+: QUOTA_EXCEEDED/,
    );
    expect(fixture.templates()).toEqual({ "web-template-1": 20 });
    expect(fake.liveTemplates()).toEqual(["web-template-1"]);
    expect(fake.live()).toMatchObject({ instances: 20, disks: 20 });
    expect(fake.group("web").stats.minHealthy).toBeGreaterThanOrEqual(20);
  }, 60_000);

  test("with --no-rollback leaves a failed update where it stopped and says so", async () => {
    fixture = await FleetFixture.create({ size: 4 });
    const { fake, images } = fixture;
    fake.unhealthyImage(images[1]?.name as string);
    const result = await fixture.bake([...ROLLOUT, "web#2", "--max-surge", "1", "--no-rollback"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("web was left as it is");
    expect(fake.group("web").template).toMatch(/^bake-web-2-/);
    await fixture.manifest.reload();
    expect(fixture.manifest.events().find((e) => e.event === "rollout")).toMatchObject({
      rollout: { result: "failed" },
    });
  }, 60_000);

  test("rolls back when the update stalls past --timeout", async () => {
    fixture = await FleetFixture.create({ size: 4 });
    const { fake } = fixture;
    const running = fixture.bake([...ROLLOUT, "web#2", "--max-surge", "1", "--timeout", "1s"]);
    await fake.waitFor(() => fake.group("web").template !== "web-template-1");
    fake.stallGroup("web", 1_000_000);
    // The stall ends once bake has given up and pointed the group back at its old template.
    await fake.waitFor(() => fake.group("web").template === "web-template-1");
    fake.stallGroup("web", 0);
    const result = await running;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/timed out: \d of 4 instances of web were on bake-web-2-\w+ and healthy/);
    expect(fixture.templates()).toEqual({ "web-template-1": 4 });
  }, 60_000);

  test("rides out 5xx answers and slow responses from Compute Engine", async () => {
    fixture = await FleetFixture.create({ size: 4 });
    const { fake } = fixture;
    fake.inject({ call: "instanceGroupManagers.get", kind: "server-error", times: 2 });
    fake.inject({ call: "instanceGroupManagers.listManagedInstances", kind: "slow-response", times: 2 });
    fake.inject({ call: "instanceTemplates.insert", kind: "lost-response" });
    const result = await fixture.bake([...ROLLOUT, "web#2", "--max-surge", "2"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(Object.values(fixture.templates())).toEqual([4]);
    expect(fake.liveTemplates()).toHaveLength(2);
  }, 60_000);

  test("--min-ready holds each new instance to a healthy spell before it counts as replaced", async () => {
    fixture = await FleetFixture.create({ size: 2 });
    const started = Date.now();
    const result = await fixture.bake([
      ...ROLLOUT,
      "web#2",
      "--max-surge",
      "2",
      "--min-ready",
      "1500ms",
      "--json",
    ]);
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    const progress = result.stdout
      .split("\n")
      .filter((line) => line.includes('"type":"rollout-progress"'))
      .map(
        (line) => JSON.parse(line) as { replaced: number; healthy: number; total: number; instances: number },
      );
    // A moment came when only new instances were left, healthy, but not yet counted as replaced.
    expect(progress.some((p) => p.instances === 2 && p.healthy === 2 && p.replaced === 0)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ replaced: 2, total: 2 });
  }, 60_000);

  test("rolls out to a regional group across its zones with a percent surge", async () => {
    fixture = await FleetFixture.create({ size: 6, region: "us-central1" });
    const { fake } = fixture;
    const result = await fixture.bake([
      "rollout",
      "web#2",
      "--target",
      "gce",
      "--group",
      "web",
      "--region",
      "us-central1",
      "--max-surge",
      "50%",
      "--max-unavailable",
      "0",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const group = fake.group("web");
    expect(group.stats.maxInstances).toBeLessThanOrEqual(9);
    expect(new Set(group.members.map((m) => m.zone))).toEqual(
      new Set(["us-central1-a", "us-central1-b", "us-central1-c"]),
    );
    expect(Object.keys(fixture.templates())).toEqual([expect.stringMatching(/^bake-web-2-/)]);
  }, 60_000);

  test("fails without touching the group, and deletes its template, when Compute Engine refuses the update", async () => {
    fixture = await FleetFixture.create({ size: 3, region: "us-central1" });
    const { fake } = fixture;
    const result = await fixture.bake([
      "rollout",
      "web#2",
      "--target",
      "gce",
      "--group",
      "web",
      "--region",
      "us-central1",
      "--max-surge",
      "1",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /regionInstanceGroupManagers\.patch failed \(HTTP 400 invalid\).*number of zones/,
    );
    expect(fake.group("web").template).toBe("web-template-1");
    expect(fake.liveTemplates()).toEqual(["web-template-1"]);
    await fixture.manifest.reload();
    expect(fixture.manifest.events().find((e) => e.event === "rollout")).toMatchObject({
      rollout: { result: "failed", region: "us-central1" },
    });
  }, 60_000);

  test("bake fleet still lists servers when the account may not list groups", async () => {
    fixture = await FleetFixture.create({ size: 2 });
    fixture.fake.inject({ call: "instanceGroupManagers.aggregatedList", kind: "quota" });
    const result = await fixture.bake(["fleet", "--target", "gce", "--json"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^warning: could not list managed instance groups: .*quotaExceeded/m);
    const report = JSON.parse(result.stdout) as { servers: unknown[]; groups: unknown[] };
    expect(report.servers).toHaveLength(2);
    expect(report.groups).toEqual([]);
  }, 60_000);

  test("refuses a revoked image and warns about a deprecated one", async () => {
    fixture = await FleetFixture.create({ size: 2 });
    const { records } = fixture;
    await fixture.manifest.appendEvent({
      event: "revoke",
      target: records[1]?.id as string,
      reason: "CVE-2026-1",
      cascade: false,
    });
    const refused = await fixture.bake([...ROLLOUT, "web#2"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/web#2 .*is revoked \(CVE-2026-1\); bake does not roll it out/);
    expect(fixture.templates()).toEqual({ "web-template-1": 2 });
    await fixture.manifest.appendEvent({
      event: "deprecate",
      target: records[2]?.id as string,
      reason: "old",
    });
    const warned = await fixture.bake([...ROLLOUT, "web#3"]);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toMatch(/warning: web#3 .*is deprecated \(old\)/);
  }, 60_000);

  test("--dry-run names the templates and the policy and changes nothing", async () => {
    fixture = await FleetFixture.create({ size: 2 });
    const result = await fixture.bake([...ROLLOUT, "web#2", "--max-surge", "10%", "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /dry run: would make template bake-web-2-\w+ from web-template-1 and replace 2 instances of web \(max surge 10%, max unavailable 0\)/,
    );
    expect(fixture.fake.liveTemplates()).toEqual(["web-template-1"]);
    await fixture.manifest.reload();
    expect(fixture.manifest.events()).toHaveLength(0);
  }, 60_000);

  test.each([
    [["--max-surge", "three"], /--max-surge "three" is not a count or a percent/],
    [["--max-surge", "150%"], /--max-surge "150%" is not a count or a percent/],
    [["--timeout", "soon"], /--timeout "soon" is not a duration/],
    [["--region", "us-central1"], /give exactly one of --zone .* and --region/],
    [["--max-surge", "0", "--max-unavailable", "0%"], /cannot both be 0/],
  ])("refuses bad input %j with exit 2", async (extra, message) => {
    fixture = await FleetFixture.create({ size: 1 });
    const result = await fixture.bake([...ROLLOUT, "web#2", ...extra]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
