import { describe, expect, it } from "vitest";
import { openManifest } from "../../src/manifest/manifest.js";
import type { ImageRecord } from "../../src/manifest/types.js";
import { buildFleet, imageInput, tempManifest } from "./helpers.js";

// Test files are ES modules, so strict mode: assigning to a frozen property throws a TypeError.
function mutable(value: unknown): Record<string, unknown> {
  return value as Record<string, unknown>;
}

async function fleet() {
  const { path } = tempManifest();
  const manifest = await openManifest(path, { create: true, env: {} });
  return { manifest, path, ...(await buildFleet(manifest)) };
}

describe("records and events handed out by a manifest", () => {
  it("cannot be changed: setting record.version throws, and get() and history() still give the original", async () => {
    const { manifest, web2 } = await fleet();
    const record = manifest.get(web2.id) as ImageRecord;
    expect(() => {
      mutable(record).version = "x";
    }).toThrow(TypeError);
    expect(manifest.get(web2.id)?.version).toBe("2.1.0");
    const listed = manifest.history({ lineage: "web" })[0]?.entries.find((entry) => entry.id === web2.id);
    expect(listed?.version).toBe("2.1.0");
    expect(manifest.resolve("web@stable").version).toBe("2.1.0");
  });

  it("are frozen all the way down, in every reader, and after a reload", async () => {
    const { manifest, path, web2, base3 } = await fleet();
    await manifest.appendEvent({
      event: "observe",
      target: web2.id,
      server: "web-1",
      details: { zone: "a" },
    });
    const reopened = await openManifest(path);
    const lazy = await openManifest(path, { lazy: true });
    for (const reader of [manifest, reopened, lazy]) {
      const record = reader.get(web2.id) as ImageRecord;
      expect(() => {
        mutable(record.layers?.[0]).name = "x";
      }).toThrow(TypeError);
      expect(() => {
        mutable(record.labels).team = "villains";
      }).toThrow(TypeError);
      expect(() => {
        mutable(record.parent).record = base3.id;
      }).toThrow(TypeError);
      expect(() => (record.layers as unknown as unknown[]).push({})).toThrow(TypeError);
      expect(Object.isFrozen(reader.records()[0])).toBe(true);
      expect(Object.isFrozen(reader.events()[0])).toBe(true);
      expect(() => {
        mutable(reader.server("web-1")?.details).zone = "b";
      }).toThrow(TypeError);
      expect(() => {
        mutable(reader.observations(web2.id)[0]).server = "web-2";
      }).toThrow(TypeError);
      expect(() => {
        mutable(reader.ancestry(web2.id).chain[1]).lineage = "x";
      }).toThrow(TypeError);
      expect(reader.get(web2.id)?.layers?.[0]?.name).toBe("app");
      expect(reader.server("web-1")?.details).toEqual({ zone: "a" });
    }
    await manifest.reload();
    expect(Object.isFrozen(manifest.get(web2.id))).toBe(true);
    expect(() => {
      mutable(manifest.header()).format = "9.0";
    }).toThrow(TypeError);
    expect(manifest.header()?.format).toBe("1.0");
  });

  it("come in frozen arrays, so sorting or emptying what records() returns changes nothing", async () => {
    const { manifest, base1 } = await fleet();
    const before = manifest.records().map((record) => record.id);
    expect(() => (manifest.records() as ImageRecord[]).reverse()).toThrow(TypeError);
    expect(() => {
      (manifest.events() as unknown[]).length = 0;
    }).toThrow(TypeError);
    expect(manifest.records().map((record) => record.id)).toEqual(before);
    expect(manifest.events()).toHaveLength(3);
    expect(manifest.history({ lineage: "base" })[0]?.entries.at(-1)?.id).toBe(base1.id);
  });

  it("are frozen when register returns them, and share nothing with the caller's input", async () => {
    const { path } = tempManifest();
    const manifest = await openManifest(path, { create: true, env: {} });
    const input = imageInput({ lineage: "base", parent: { external: { ref: "scratch", id: "scratch" } } });
    const record = await manifest.register(input);
    expect(Object.isFrozen(record)).toBe(true);
    expect(Object.isFrozen(record.labels)).toBe(true);
    // The caller's own objects stay the caller's: still editable, and editing them changes nothing recorded.
    (input.labels as Record<string, string>).team = "villains";
    expect(manifest.get(record.id)?.labels).toEqual({ team: "heroes" });
    expect((await openManifest(path)).get(record.id)).toEqual(record);
  });
});
