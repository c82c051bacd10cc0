import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkManifest } from "../../src/manifest/fsck.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { manifestFromText } from "../../src/manifest/text-manifest.js";
import { damageManifest, SHAPE_DAMAGES } from "./damage.js";
import { buildFleet, imageInput, tempManifest } from "./helpers.js";

async function damagedFleet(damage: (typeof SHAPE_DAMAGES)[number], forged: boolean) {
  const { path } = tempManifest();
  const manifest = await openManifest(path, { create: true, env: {} });
  const fleet = await buildFleet(manifest);
  await manifest.appendEvent({ event: "deprecate", target: fleet.web1.id, reason: "old" });
  damageManifest(path, damage, { forged });
  return { path, ...fleet };
}

describe("a line without the shape of a record or an event", () => {
  for (const damage of SHAPE_DAMAGES) {
    for (const forged of [false, true]) {
      const how = forged ? "with its id and the chain after it forged" : "edited by hand";
      it(`with ${damage.what}, ${how}, is left out of every read with a warning naming line ${damage.line}`, async () => {
        // Refs, not the fleet's ids: forging the chain gives every later line a new id.
        const { path } = await damagedFleet(damage, forged);
        const warnings: string[] = [];
        for (const options of [{ lazy: true }, { lazy: false }, { lazy: true, historyCache: true }]) {
          const manifest = await openManifest(path, {
            ...options,
            env: {},
            onWarning: (message) => warnings.push(message),
          });
          manifest.history();
          manifest.history({ includeLayers: true });
          expect(manifest.records().length + manifest.events().length).toBe(11);
          expect(manifest.resolve("web#1").version).toBe("2.0.0");
          manifest.ancestry("web#3");
          manifest.status("web#1");
          expect(warnings.at(-1)).toMatch(new RegExp(`line ${damage.line} cannot be read \\(not a valid`));
          expect(manifest.integrity().intact).toBe(forged);
        }
        const text = await manifestFromText(readFileSync(path));
        expect(text.records().length + text.events().length).toBe(11);
      });

      it(`with ${damage.what}, ${how}, is a schema problem for fsck and refused by writers`, async () => {
        const { path } = await damagedFleet(damage, forged);
        const report = await checkManifest(path);
        expect(report.ok).toBe(false);
        expect(report.problems).toContainEqual(
          expect.objectContaining({ line: damage.line, code: "schema" }),
        );
        const manifest = await openManifest(path, { env: {} });
        const web1 = manifest.resolve("web#1");
        const base2 = manifest.resolve("base#2");
        const named = new RegExp(`line ${damage.line}\\b`);
        await expect(
          manifest.appendEvent({ event: "promote", target: web1.id, channel: "prod" }),
        ).rejects.toMatchObject({
          code: forged ? "manifest-damaged" : "manifest-chain-broken",
          message: expect.stringMatching(named),
        });
        await expect(
          manifest.register(imageInput({ lineage: "web", parent: { record: base2.id } })),
        ).rejects.toMatchObject({ code: forged ? "manifest-damaged" : "manifest-chain-broken" });
        expect(readFileSync(path, "utf8").trimEnd().split("\n")).toHaveLength(13);
      });
    }
  }

  it("refuses a register that builds on a forged line read from the tail, before it writes a build number from it", async () => {
    const { path } = await damagedFleet(
      { what: "a string build", line: 9, change: (l) => ({ ...l, build: "3" }) },
      true,
    );
    // Line 9 (web#3) is the last image of its lineage: a lazy register reads its build number from the file's tail.
    const manifest = await openManifest(path, { env: {}, lazy: true });
    const parent = JSON.parse(readFileSync(path, "utf8").split("\n")[4] as string).id as string;
    await expect(
      manifest.register(imageInput({ lineage: "web", parent: { record: parent } })),
    ).rejects.toMatchObject({
      code: "manifest-damaged",
      message: expect.stringContaining("not a valid record: build: must be integer"),
    });
  });
});
