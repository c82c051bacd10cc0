import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fleetDir, runBake } from "../manifest/cli-helpers.js";

describe("bake fsck", () => {
  it("exits 0 with a summary on an intact manifest", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["fsck"], { cwd: fleet.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      "ok: 6 images, 2 layer records, 3 events in 2 lineages (12 lines, format 1.0); every id matches its content and the chain is intact\n",
    );
  });

  it("exits 1 naming the edited record and its line", async () => {
    const fleet = await fleetDir();
    const lines = readFileSync(fleet.path, "utf8").split("\n");
    lines[5] = (lines[5] as string).replace('"team":"heroes"', '"team":"villains"');
    writeFileSync(fleet.path, lines.join("\n"));
    const run = await runBake(["fsck"], { cwd: fleet.dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${fleet.path}:6: record ${fleet.web1.id.slice(7, 19)} (line 6) was edited`);
    expect(run.stdout).toContain("2 problems in");
    const json = JSON.parse((await runBake(["fsck", "--json"], { cwd: fleet.dir })).stdout);
    expect(json.ok).toBe(false);
    expect(json.problems[0]).toMatchObject({ line: 6, id: fleet.web1.id, code: "id-mismatch" });
  });
});
