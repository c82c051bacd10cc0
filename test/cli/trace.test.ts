import { beforeAll, describe, expect, it } from "vitest";
import { shortId } from "../../src/manifest/hash.js";
import { ensureBuilt, fleetDir, runBake, runCompiled } from "../manifest/cli-helpers.js";

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe("bake trace", () => {
  it("walks from an image down to the external base and its resolved id", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["trace", "web@stable"], { cwd: fleet.dir });
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      new RegExp(`^web#2  2\\.1\\.0  ${shortId(fleet.web2.id)}  local sha256:[0-9a-f]+ \\[stable\\]$`),
    );
    expect(lines[1]).toBe(`   layers: app ${shortId(fleet.app.id)}`);
    expect(lines[2]).toMatch(/^ {3}└─ base#3 {2}1\.2\.0 /);
    expect(lines[4]).toBe("      └─ external base docker-archive:./debian.tar");
    expect(lines[5]).toBe(
      `           resolved to ${(fleet.base3.parent as { external: { id: string } }).external.id}`,
    );
  });

  it("starts from a server the manifest has seen", async () => {
    const fleet = await fleetDir();
    await fleet.manifest.appendEvent({ event: "observe", target: fleet.web3.id, server: "web-17" });
    const run = await runBake(["trace", "web-17", "--json"], { cwd: fleet.dir });
    const json = JSON.parse(run.stdout);
    expect(json.server).toMatchObject({ server: "web-17", target: fleet.web3.id });
    expect(json.chain.map((link: { id: string }) => link.id)).toEqual([fleet.web3.id, fleet.base3.id]);
    expect(json.chain[0].status).toEqual({ status: "active", channels: ["canary"] });
    expect(json.base.ref).toBe("docker-archive:./debian.tar");
  });

  it("says when neither an image nor a server matches", async () => {
    const fleet = await fleetDir();
    // The compiled CLI, as a user runs it.
    const run = runCompiled(["trace", "db-1"], { cwd: fleet.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nothing matches "db-1"');
    // Every REF form tried is listed, in order, and the server lookup last (it was dropped once).
    expect(run.stderr).toMatch(
      /tried, in order:\n {2}1\. the records of .*bake\.lineage\.jsonl: .*\n {2}2\. a server of that name observed in .*: none/,
    );
    expect(run.stderr).not.toContain("    at ");
  });
});
