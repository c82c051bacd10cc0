import { describe, expect, it } from "vitest";
import { openManifest } from "../../src/manifest/manifest.js";
import { fleetDir, runBake } from "../manifest/cli-helpers.js";

describe("bake revoke", () => {
  it("requires a reason", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["revoke", "web#1"], { cwd: fleet.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--reason is required");
  });

  it("revokes one image and leaves its descendants alone without --cascade", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["revoke", "base#2", "--reason", "bad openssl"], { cwd: fleet.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^revoked base#2 \([0-9a-f]{12}\): bad openssl\n$/);
    const manifest = await openManifest(fleet.path);
    expect(manifest.status(fleet.base2.id).status).toBe("revoked");
    expect(manifest.status(fleet.web1.id).status).toBe("active");
  });

  it("revokes every descendant with --cascade and lists them", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["revoke", "base@stable", "--reason", "CVE-2026-1234", "--cascade"], {
      cwd: fleet.dir,
    });
    expect(run.stdout).toContain("and, with --cascade, 2 images built on it: web#2, web#3");
    const json = JSON.parse((await runBake(["history", "web", "--json"], { cwd: fleet.dir })).stdout);
    expect(json.lineages[0].entries.map((e: { status: string }) => e.status)).toEqual([
      "revoked",
      "revoked",
      "active",
    ]);
    const tree = await runBake(["history", "web"], { cwd: fleet.dir });
    expect(tree.stdout).toMatch(/#3 .*revoked: CVE-2026-1234 \(with base#3\)/);
  });

  it("refuses to revoke an image whose ancestor is revoked, and explains why", async () => {
    const fleet = await fleetDir();
    await runBake(["revoke", "base#3", "--reason", "CVE"], { cwd: fleet.dir });
    const run = await runBake(["revoke", "web#2", "--reason", "also"], { cwd: fleet.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is built on base#3");
    expect(run.stderr).toContain("which is already revoked (CVE)");
    expect(run.stderr).toContain('hint: bake revoke base#3 --cascade --reason "..."');
  });

  it("says what revoking a layer record does, and names the images made with it, which stay as they are", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["revoke", fleet.runtime.id, "--reason", "bad layer"], { cwd: fleet.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("a layer record: builds no longer reuse it from the cache");
    expect(run.stderr).toContain("the image made with this layer is not revoked: base#3");
    const manifest = await openManifest(fleet.path);
    expect(manifest.findLayer(fleet.runtime.layer?.cacheKey as string, fleet.runtime.driver)).toBeUndefined();
    expect(manifest.status(fleet.base3.id).status).toBe("active");

    const app = await runBake(["revoke", fleet.app.id, "--reason", "bad", "--json"], { cwd: fleet.dir });
    expect(JSON.parse(app.stdout).imagesWithLayer).toEqual([fleet.web2.id]);
  });

  it("prints the event and the revoked ids as JSON", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["revoke", "base#3", "--reason", "x", "--cascade", "--json"], {
      cwd: fleet.dir,
    });
    const json = JSON.parse(run.stdout);
    expect(json.event).toMatchObject({ event: "revoke", cascade: true, reason: "x", target: fleet.base3.id });
    expect(json.revoked).toEqual([fleet.base3.id, fleet.app.id, fleet.web2.id, fleet.web3.id]);
  });
});
