import { describe, expect, it } from "vitest";
import { openManifest } from "../../src/manifest/manifest.js";
import { buildFleet, layerInput, tempManifest } from "./helpers.js";

describe("history", () => {
  it("lists lineages with their images newest first, with lineage parents and external bases", async () => {
    const { path } = tempManifest();
    const manifest = await openManifest(path, { create: true, env: {} });
    const fleet = await buildFleet(manifest);
    const history = (await openManifest(path)).history();
    expect(history.map((l) => [l.lineage, l.parents, l.bases])).toEqual([
      ["base", [], ["docker-archive:./debian.tar"]],
      ["web", ["base"], []],
    ]);
    expect(history[1]?.entries.map((e) => e.id)).toEqual([fleet.web3.id, fleet.web2.id, fleet.web1.id]);
    expect(history[1]?.entries[1]).toMatchObject({ build: 2, status: "active", channels: ["stable"] });
  });

  it("gives the same images from the quick images-only index as from the full one", async () => {
    const { path } = tempManifest();
    const manifest = await openManifest(path, { create: true, env: {} });
    const fleet = await buildFleet(manifest);
    // A layer record whose labels mention "build" must still be left out of an images-only history.
    await manifest.register({
      ...layerInput({ lineage: "web", name: "x", parent: { record: fleet.base3.id } }),
      labels: { build: "7" },
    });
    await manifest.appendEvent({ event: "revoke", target: fleet.base3.id, reason: "CVE", cascade: true });
    const quick = (await openManifest(path)).history();
    const full = await openManifest(path);
    full.records();
    expect(quick).toEqual(full.history());
    expect(
      full
        .history({ includeLayers: true })
        .flatMap((l) => l.entries)
        .filter((e) => e.kind === "layer"),
    ).toHaveLength(3);
  });

  it("filters by lineage", async () => {
    const { path } = tempManifest();
    const manifest = await openManifest(path, { create: true, env: {} });
    await buildFleet(manifest);
    expect(manifest.history({ lineage: "base" }).map((l) => l.lineage)).toEqual(["base"]);
  });
});
