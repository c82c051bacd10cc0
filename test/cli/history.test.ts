import { describe, expect, it } from "vitest";
import { shortId } from "../../src/manifest/hash.js";
import { fleetDir, runBake } from "../manifest/cli-helpers.js";
import { tempManifest } from "../manifest/helpers.js";

describe("bake history", () => {
  it("prints lineages as a tree with build, version, short id, channels and status", async () => {
    const fleet = await fleetDir();
    await runBake(["revoke", "base#1", "--reason", "old kernel"], { cwd: fleet.dir });
    const run = await runBake(["history"], { cwd: fleet.dir });
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe("base  <- docker-archive:./debian.tar");
    expect(lines[1]).toMatch(
      new RegExp(`^  #3 +1\\.2\\.0 +${shortId(fleet.base3.id)}  just now +\\[stable\\]$`),
    );
    expect(lines[3]).toContain("revoked: old kernel");
    expect(lines[4]).toBe("  web  <- base");
    expect(lines[5]).toMatch(/^ {4}#3 +2\.1\.0 .*\[canary\]$/);
    expect(run.stdout).not.toContain("layer ");
  });

  it("shows layer records with --all and filters by lineage", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["history", "web", "--all"], { cwd: fleet.dir });
    expect(run.stdout).toContain(`layer app  ${shortId(fleet.app.id)}`);
    expect(run.stdout).not.toContain("base  <-");
  });

  it("prints JSON with every lineage and its records", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["history", "--json"], { cwd: fleet.dir });
    const json = JSON.parse(run.stdout);
    expect(json.manifest).toBe(fleet.path);
    expect(json.lineages.map((l: { lineage: string }) => l.lineage)).toEqual(["base", "web"]);
    expect(json.lineages[1]).toMatchObject({ parents: ["base"], bases: [] });
    expect(json.lineages[1].entries[1]).toMatchObject({
      id: fleet.web2.id,
      build: 2,
      status: "active",
      channels: ["stable"],
    });
  });

  it("honours --manifest and BAKE_MANIFEST", async () => {
    const fleet = await fleetDir();
    const elsewhere = tempManifest().dir;
    const byFlag = await runBake(["history", "--json", "--manifest", fleet.path], { cwd: elsewhere });
    expect(JSON.parse(byFlag.stdout).lineages).toHaveLength(2);
    const byEnv = await runBake(["history", "--json"], {
      cwd: elsewhere,
      env: { BAKE_MANIFEST: fleet.path },
    });
    expect(JSON.parse(byEnv.stdout).lineages).toHaveLength(2);
  });

  it("says there is nothing yet when the manifest does not exist", async () => {
    const { dir } = tempManifest();
    const run = await runBake(["history"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("bake.lineage.jsonl yet; `bake build` creates it");
  });

  it("suggests the nearest lineage for a typo", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["history", "wbe"], { cwd: fleet.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('did you mean "web"?');
  });
});

describe("bake history with a torn last line", () => {
  it("warns about the torn line and still lists every complete record", async () => {
    const { appendFileSync } = await import("node:fs");
    const fleet = await fleetDir();
    appendFileSync(fleet.path, '{"artifact":"sha256:');
    const run = await runBake(["history", "--json"], { cwd: fleet.dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("line 13 is torn (20 bytes without a newline");
    expect(JSON.parse(run.stdout).lineages[1].entries).toHaveLength(3);
  });
});

describe("bake history with a short line at the end", () => {
  for (const [what, tail] of [
    ["a blank line", "\n"],
    ["a garbage line", "garbage\n"],
  ] as const) {
    it(`lists every record and names the line when the manifest ends in ${what}`, async () => {
      const { appendFileSync, rmSync } = await import("node:fs");
      const { join } = await import("node:path");
      const fleet = await fleetDir();
      // Once with the history cache a first run leaves, once without it.
      expect((await runBake(["history"], { cwd: fleet.dir })).code).toBe(0);
      appendFileSync(fleet.path, tail);
      for (const clearCache of [false, true]) {
        if (clearCache) rmSync(join(fleet.dir, ".bake-cache"), { recursive: true, force: true });
        const run = await runBake(["history", "--json"], { cwd: fleet.dir });
        expect(run.stderr).not.toContain("internal error");
        expect(run.code).toBe(0);
        expect(run.stderr).toMatch(/warning: .*bake\.lineage\.jsonl.* line 13\b/);
        expect(JSON.parse(run.stdout).lineages[1].entries).toHaveLength(3);
      }
    });
  }
});
