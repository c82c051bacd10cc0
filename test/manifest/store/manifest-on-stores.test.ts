import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkManifest } from "../../../src/manifest/fsck.js";
import { openManifest } from "../../../src/manifest/manifest.js";
import { buildFleet, debianBase, imageInput, layerInput } from "../helpers.js";
import { startCluster, TEST_PG_PASSWORD, type TestCluster } from "./postgres-cluster.js";
import { storeKinds } from "./store-kinds.js";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster?.destroy());

describe.each(storeKinds(() => cluster))("the manifest API on the $name store", (kind) => {
  it("registers, promotes, revokes and resolves, and a second handle reads the same lineage", async () => {
    const location = await kind.fresh();
    const manifest = await openManifest(location, { mustExist: false, env: {} });
    expect(manifest.header()).toBeUndefined();
    const fleet = await buildFleet(manifest);
    expect(manifest.header()?.bake).toBe("manifest");
    expect(manifest.resolve("web@stable").id).toBe(fleet.web2.id);
    expect(manifest.resolve("base#2").id).toBe(fleet.base2.id);
    expect(manifest.findLayer(fleet.app.layer?.cacheKey as string, "local")?.id).toBe(fleet.app.id);
    await manifest.appendEvent({
      event: "revoke",
      target: fleet.base3.id,
      reason: "CVE-2026-1",
      cascade: true,
    });
    expect(manifest.status(fleet.web2.id)).toMatchObject({
      status: "revoked",
      inheritedFrom: fleet.base3.id,
    });

    const other = await openManifest(location, { create: true, env: {} });
    expect(other.records().map((record) => record.id)).toEqual(manifest.records().map((record) => record.id));
    expect(other.events()).toEqual(manifest.events());
    expect(other.ancestry(fleet.web2.id).chain.map((record) => record.id)).toEqual([
      fleet.web2.id,
      fleet.base3.id,
    ]);
    expect(
      other
        .history()
        .map((lineage) => lineage.lineage)
        .sort(),
    ).toEqual(["base", "web"]);
    expect(other.lineOf(fleet.web1.id)).toBe(manifest.lineOf(fleet.web1.id));

    const report = await checkManifest(location);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, images: 6, layers: 2, events: 4, lineages: 2 });
    expect(JSON.stringify(report)).not.toContain(TEST_PG_PASSWORD);
  });

  it("numbers builds without gaps when a stale handle writes after another: it re-reads and recomposes", async () => {
    const location = await kind.fresh();
    const first = await openManifest(location, { create: true, env: {} });
    const second = await openManifest(location, { create: true, env: {} });
    const one = await first.register(imageInput({ lineage: "web", parent: debianBase, seed: "a" }));
    const two = await second.register(imageInput({ lineage: "web", parent: debianBase, seed: "b" }));
    const three = await first.register(imageInput({ lineage: "web", parent: debianBase, seed: "c" }));
    expect([one.build, two.build, three.build]).toEqual([1, 2, 3]);
    expect(three.prev).not.toBe(two.prev);
    const report = await checkManifest(location);
    expect(report.problems).toEqual([]);
  });

  it("refuses a parent the lineage does not hold", async () => {
    const manifest = await openManifest(await kind.fresh(), { create: true, env: {} });
    await expect(
      manifest.register(
        layerInput({ lineage: "web", name: "app", parent: { record: `sha256:${"0".repeat(64)}` } }),
      ),
    ).rejects.toMatchObject({ code: "record-invalid" });
  });

  it("lets fsck name a record edited behind bake's back", async () => {
    const location = await kind.fresh();
    const manifest = await openManifest(location, { create: true, env: {} });
    const fleet = await buildFleet(manifest);
    const line = manifest.lineOf(fleet.web1.id) as number;
    await kind.tamper(location, line, (text) => text.replace('"version":"2.0.0"', '"version":"6.6.6"'));
    const report = await checkManifest(location);
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(
      expect.objectContaining({ line, code: "id-mismatch", id: fleet.web1.id }),
    );

    // The manifest's own chain verification, on the store's lines: readers learn the chain is broken, writers refuse.
    const reader = await openManifest(location, { create: true, env: {} });
    expect(reader.integrity()).toMatchObject({ intact: false, problem: { line, code: "edited" } });
    await expect(
      reader.register(imageInput({ lineage: "web", parent: debianBase, seed: "after" })),
    ).rejects.toMatchObject({
      code: "manifest-chain-broken",
      message: expect.stringContaining(`line ${line}`),
    });
    // A file is re-verified under the lock before every append. A store's lines are verified when a handle reads
    // them (every process reads and verifies the whole chain when it opens a store), so a handle opened before an
    // edit of an old line writes on what it verified; fsck still names the edited line.
    if (kind.name === "file") {
      await expect(
        manifest.register(imageInput({ lineage: "web", parent: debianBase, seed: "stale" })),
      ).rejects.toMatchObject({ code: "manifest-chain-broken" });
    }
  });

  it("refuses an empty location unless told it may be missing, and with verify names an edited line on open", async () => {
    const location = await kind.fresh();
    await expect(openManifest(location, { env: {} })).rejects.toMatchObject({ code: "manifest-missing" });
    expect((await openManifest(location, { mustExist: false, env: {} })).records()).toEqual([]);
    const manifest = await openManifest(location, { create: true, env: {} });
    const fleet = await buildFleet(manifest);
    const verified = await openManifest(location, { verify: true, env: {} });
    expect(verified.resolve("web@stable").id).toBe(fleet.web2.id);
    expect(Object.isFrozen(verified.get(fleet.web2.id))).toBe(true);
    const line = manifest.lineOf(fleet.web1.id) as number;
    await kind.tamper(location, line, (text) => text.replace('"version":"2.0.0"', '"version":"6.6.6"'));
    await expect(openManifest(location, { verify: true, env: {} })).rejects.toMatchObject({
      code: "manifest-chain-broken",
      message: expect.stringContaining(`line ${line} was edited`),
    });
    expect((await openManifest(location, { env: {} })).get(fleet.web1.id)?.version).toBe("6.6.6");
  });
});
