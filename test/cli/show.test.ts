import { describe, expect, it } from "vitest";
import { fleetDir, runBake } from "../manifest/cli-helpers.js";

describe("bake show", () => {
  it("shows a record by channel with status, parent, layers and verify results", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["show", "web@stable"], { cwd: fleet.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("web#2  (image)");
    expect(run.stdout).toContain(`id        ${fleet.web2.id}`);
    expect(run.stdout).toMatch(/channels +web@stable/);
    expect(run.stdout).toMatch(/parent +base#3 \([0-9a-f]{12}\)/);
    expect(run.stdout).toMatch(/layers +app +inputs [0-9a-f]{12}/);
    expect(run.stdout).toMatch(/verify +passed \(1 checks\)/);
    expect(run.stdout).toContain("labels    team=heroes");
  });

  it("prints the record, its status and its line as JSON", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["show", "web#1", "--json"], { cwd: fleet.dir });
    const json = JSON.parse(run.stdout);
    expect(json.record).toEqual(fleet.web1);
    expect(json.status).toEqual({ status: "active", channels: [] });
    expect(json.line).toBe(6);
  });

  it("explains an ambiguous or unknown reference with exit 2 and no stack trace", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["show", "web@prod"], { cwd: fleet.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('web has no channel or version "prod"');
    expect(run.stderr).not.toContain("    at ");
  });
});
