import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openManifest } from "../../src/manifest/manifest.js";
import { buildFleet, tempManifest } from "./helpers.js";

describe("openManifest's mustExist", () => {
  it("refuses a missing path by default with manifest-missing, instead of reading it as empty", async () => {
    const { path } = tempManifest();
    await expect(openManifest(path)).rejects.toMatchObject({
      code: "manifest-missing",
      message: `there is no manifest at ${path}`,
    });
    await expect(openManifest(path, { mustExist: true, lazy: true })).rejects.toMatchObject({
      code: "manifest-missing",
    });
    expect(() => readFileSync(path)).toThrow();
  });

  it("refuses an empty file the same way, since it holds no manifest", async () => {
    const { path } = tempManifest();
    writeFileSync(path, "");
    await expect(openManifest(path)).rejects.toMatchObject({ code: "manifest-missing" });
  });

  it("lets a writer that creates the manifest open a missing path, as `bake build` does", async () => {
    const { path } = tempManifest();
    const manifest = await openManifest(path, { create: true, env: {} });
    expect(manifest.header()?.bake).toBe("manifest");
    expect(manifest.records()).toEqual([]);
  });
});

describe("openManifest's verify", () => {
  async function tampered() {
    const { path } = tempManifest();
    const fleet = await buildFleet(await openManifest(path, { create: true, env: {} }));
    const lines = readFileSync(path, "utf8").split("\n");
    const at = lines.findIndex((line) => line.includes(fleet.web1.id));
    lines[at] = (lines[at] as string).replace('"version":"2.0.0"', '"version":"2.0.1"');
    writeFileSync(path, lines.join("\n"));
    return { path, line: at + 1, ...fleet };
  }

  it("reads a manifest bake wrote, and knows it is intact without hashing again", async () => {
    const { path } = tempManifest();
    const fleet = await buildFleet(await openManifest(path, { create: true, env: {} }));
    const manifest = await openManifest(path, { verify: true });
    expect(manifest.resolve("web@stable").id).toBe(fleet.web2.id);
    expect(manifest.integrity()).toEqual({ intact: true });
  });

  it("throws manifest-chain-broken naming the first edited line, where a plain open reads the edit", async () => {
    const { path, line, web1 } = await tampered();
    await expect(openManifest(path, { verify: true })).rejects.toMatchObject({
      code: "manifest-chain-broken",
      message: expect.stringContaining(`line ${line} was edited`),
    });
    // Lazy does not skip the check: verifying reads every line on open.
    await expect(openManifest(path, { verify: true, lazy: true })).rejects.toMatchObject({
      code: "manifest-chain-broken",
    });
    const plain = await openManifest(path);
    expect(plain.get(web1.id)?.version).toBe("2.0.1");
    expect(plain.integrity()).toMatchObject({ intact: false, problem: { line } });
  });

  it("names a removed line too, and verifies again on reload", async () => {
    const { path } = tempManifest();
    const fleet = await buildFleet(await openManifest(path, { create: true, env: {} }));
    const manifest = await openManifest(path, { verify: true });
    const lines = readFileSync(path, "utf8").split("\n");
    const at = lines.findIndex((line) => line.includes(`"id":"${fleet.web1.id}"`));
    lines.splice(at, 1);
    writeFileSync(path, lines.join("\n"));
    await expect(manifest.reload()).rejects.toMatchObject({
      code: "manifest-chain-broken",
      message: expect.stringContaining(`line ${at + 1} does not follow line ${at}`),
    });
  });
});
