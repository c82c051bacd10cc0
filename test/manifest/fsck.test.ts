import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkManifest } from "../../src/manifest/fsck.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { buildFleet, imageInput, tempManifest } from "./helpers.js";

async function fleet() {
  const { path } = tempManifest();
  const manifest = await openManifest(path, { create: true, env: {} });
  return { manifest, path, ...(await buildFleet(manifest)) };
}

function lines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n");
}

describe("fsck", () => {
  it("passes a manifest bake wrote and counts what is in it", async () => {
    const { path } = await fleet();
    const report = await checkManifest(path);
    expect(report).toMatchObject({
      ok: true,
      images: 6,
      layers: 2,
      events: 3,
      lineages: 2,
      lines: 12,
      problems: [],
    });
  });

  it("names the record and the line when one byte of an old record is edited", async () => {
    const { path, manifest, base2 } = await fleet();
    const line = manifest.lineOf(base2.id) as number;
    expect(line).toBe(3);
    const all = lines(path);
    all[line - 1] = (all[line - 1] as string).replace('"version":"1.1.0"', '"version":"1.1.1"');
    writeFileSync(path, all.join("\n"));
    const report = await checkManifest(path);
    expect(report.ok).toBe(false);
    const edited = report.problems.find((problem) => problem.code === "id-mismatch");
    expect(edited).toMatchObject({ line: 3, id: base2.id });
    expect(edited?.message).toContain("was edited");
    // Because the line's bytes changed, the next line's link to it breaks too.
    expect(report.problems.find((problem) => problem.code === "chain-broken")?.line).toBe(4);
  });

  it("catches an edit that also rewrites the id, through the chain", async () => {
    const { path, manifest, base2 } = await fleet();
    const { entryId } = await import("../../src/manifest/hash.js");
    const { canonicalJson } = await import("../../src/util/canonical-json.js");
    const line = manifest.lineOf(base2.id) as number;
    const all = lines(path);
    const forged = { ...JSON.parse(all[line - 1] as string), version: "6.6.6" };
    forged.id = entryId(forged);
    all[line - 1] = canonicalJson(forged);
    writeFileSync(path, all.join("\n"));
    const report = await checkManifest(path);
    expect(report.problems.map((p) => [p.code, p.line])).toContainEqual(["chain-broken", line + 1]);
  });

  it("notices a deleted line and a dangling parent", async () => {
    const { path, manifest, base2 } = await fleet();
    const line = manifest.lineOf(base2.id) as number;
    const all = lines(path);
    all.splice(line - 1, 1);
    writeFileSync(path, all.join("\n"));
    const report = await checkManifest(path);
    expect(report.problems.map((p) => [p.code, p.line])).toEqual(
      expect.arrayContaining([
        ["chain-broken", line],
        ["missing-parent", (manifest.lineOf(manifest.resolve("web#1").id) as number) - 1],
      ]),
    );
  });

  it("names exactly the torn tail, and the next write moves it aside without losing a record", async () => {
    const { path, manifest } = await fleet();
    const half = JSON.stringify(
      imageInput({ lineage: "web", parent: { external: { ref: "x", id: "y" } } }),
    ).slice(0, 80);
    appendFileSync(path, half);
    const report = await checkManifest(path);
    expect(report.problems).toEqual([expect.objectContaining({ code: "torn-tail", line: 13 })]);
    const reader = await openManifest(path);
    expect(reader.records()).toHaveLength(8);
    expect(reader.tornTail()).toMatchObject({ line: 13, bytes: 80 });

    const warnings: string[] = [];
    const writer = await openManifest(path, { env: {}, onWarning: (message) => warnings.push(message) });
    const record = await writer.register(
      imageInput({ lineage: "web", parent: { record: manifest.resolve("base").id } }),
    );
    expect(warnings[0]).toContain(`moved to ${path}.torn`);
    expect(readFileSync(`${path}.torn`, "utf8")).toBe(`${half}\n`);
    const after = await checkManifest(path);
    expect(after.problems).toEqual([]);
    expect(after.tornFile).toEqual({ path: `${path}.torn`, bytes: 81 });
    expect((await openManifest(path)).get(record.id)?.build).toBe(4);
  });

  it("refuses to write to a manifest with an unreadable line, and leaves its bytes alone", async () => {
    const { path } = await fleet();
    const all = lines(path);
    all[4] = "{not json";
    writeFileSync(path, all.join("\n"));
    const before = readFileSync(path);
    const manifest = await openManifest(path, { create: true, env: {} });
    manifest.records();
    await expect(
      manifest.register(imageInput({ lineage: "web", parent: { external: { ref: "x", id: "y" } } })),
    ).rejects.toMatchObject({
      code: "manifest-chain-broken",
      message: expect.stringContaining("line 5 is not JSON any more"),
    });
    expect(readFileSync(path)).toEqual(before);
    expect((await checkManifest(path)).problems[0]).toMatchObject({ line: 5, code: "not-json" });
  });
});
