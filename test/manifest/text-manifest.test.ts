import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { manifestFromText, openManifest } from "../../src/manifest/manifest.js";
import { buildFleet, imageInput, tempManifest } from "./helpers.js";

async function fleetText() {
  const { path } = tempManifest();
  const fleet = await buildFleet(await openManifest(path, { create: true, env: {} }));
  return { text: readFileSync(path, "utf8"), path, ...fleet };
}

describe("manifestFromText", () => {
  it("reads what the file reads: records, events, references, history and status", async () => {
    const { text, path, web2 } = await fleetText();
    const fromText = await manifestFromText(text, { name: "https://example.test/bake.lineage.jsonl" });
    const fromFile = await openManifest(path);
    expect(fromText.path).toBe("https://example.test/bake.lineage.jsonl");
    expect(fromText.header()).toEqual(fromFile.header());
    expect(fromText.records()).toEqual(fromFile.records());
    expect(fromText.events()).toEqual(fromFile.events());
    expect(fromText.history()).toEqual(fromFile.history());
    expect(fromText.resolve("web@stable").id).toBe(web2.id);
    expect(fromText.status("web@stable")).toEqual({ status: "active", channels: ["stable"] });
    expect(fromText.integrity()).toEqual({ intact: true });
    expect(Object.isFrozen(fromText.get(web2.id))).toBe(true);
  });

  it("takes bytes as well as text, and reads empty text as an empty manifest", async () => {
    const { text, web2 } = await fleetText();
    expect((await manifestFromText(Buffer.from(text))).get(web2.id)?.version).toBe("2.1.0");
    const empty = await manifestFromText("");
    expect(empty.header()).toBeUndefined();
    expect(empty.records()).toEqual([]);
  });

  it("verifies the chain when asked, naming the edited line", async () => {
    const { text, web1 } = await fleetText();
    const lines = text.split("\n");
    const at = lines.findIndex((line) => line.includes(`"id":"${web1.id}"`));
    lines[at] = (lines[at] as string).replace('"version":"2.0.0"', '"version":"9.9.9"');
    const edited = lines.join("\n");
    await expect(manifestFromText(edited, { verify: true })).rejects.toMatchObject({
      code: "manifest-chain-broken",
      message: expect.stringContaining(`(text) does not verify: line ${at + 1} was edited`),
    });
    const unverified = await manifestFromText(edited);
    expect(unverified.integrity()).toMatchObject({
      intact: false,
      problem: { line: at + 1, code: "edited" },
    });
  });

  it("is read-only: register and appendEvent throw manifest-read-only", async () => {
    const { text, web2 } = await fleetText();
    const manifest = await manifestFromText(text);
    await expect(
      manifest.register(imageInput({ lineage: "web", parent: { record: web2.id } })),
    ).rejects.toMatchObject({ code: "manifest-read-only" });
    await expect(
      manifest.appendEvent({ event: "deprecate", target: web2.id, reason: "old" }),
    ).rejects.toMatchObject({ code: "manifest-read-only" });
  });

  it("reports a torn last line as the file would", async () => {
    const { text } = await fleetText();
    const manifest = await manifestFromText(`${text}{"half":`);
    expect(manifest.tornTail()).toMatchObject({ bytes: 8 });
    expect(manifest.records()).toHaveLength((await manifestFromText(text)).records().length);
  });
});
