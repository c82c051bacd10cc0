import { existsSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkManifest } from "../../src/manifest/fsck.js";
import { historyCachePath, loadImagesOnly } from "../../src/manifest/history-cache.js";
import { isWholeLine } from "../../src/manifest/last-line.js";
import { type Loaded, loadManifestFile } from "../../src/manifest/load.js";
import { manifestFromText, openManifest } from "../../src/manifest/manifest.js";
import { FileStore } from "../../src/manifest/store/file-store.js";
import { buildFleet, imageInput, tempManifest } from "./helpers.js";

// The fleet's lines: 1 header, 2..9 records, 10 base@stable, 11 web@stable, 12 web@canary (the last).
async function fleet() {
  const { dir, path } = tempManifest();
  const manifest = await openManifest(path, { create: true, env: {} });
  return { dir, path, manifest, ...(await buildFleet(manifest)) };
}

// What an editor or a merge does: the final "\n" goes, every other byte stays.
function dropFinalNewline(path: string): Buffer {
  const bytes = readFileSync(path);
  expect(bytes[bytes.length - 1]).toBe(0x0a);
  truncateSync(path, bytes.length - 1);
  return readFileSync(path);
}

// The ids of an index's records and events, each with its line, in line order.
function ids(loaded: Loaded): string[] {
  const { state } = loaded;
  return [...state.recordList(), ...state.eventList()]
    .map((entry) => ({ id: entry.id, line: state.lines.get(entry.id) ?? 0 }))
    .sort((a, b) => a.line - b.line)
    .map(({ id, line }) => `${line} ${id}`);
}

function fileLines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n");
}

describe("isWholeLine", () => {
  it("takes a line bake wrote for whole, and none of its proper prefixes (what a write cut short leaves)", async () => {
    const { path } = await fleet();
    // An image record with a layer, and an event.
    for (const line of [fileLines(path)[4] as string, fileLines(path)[11] as string]) {
      expect(isWholeLine(line)).toBe(true);
      for (let length = 0; length < line.length; length++) {
        expect(isWholeLine(line.slice(0, length))).toBe(false);
      }
    }
  });

  it("takes only a JSON object for a line", () => {
    for (const text of ["", "1", "[]", "null", '"x"', "{not json"]) expect(isWholeLine(text)).toBe(false);
    expect(isWholeLine("{}")).toBe(true);
  });
});

describe("a last line that only lost its newline", () => {
  it("is read like any other line, by every reader, and is not called torn", async () => {
    const { path, web3 } = await fleet();
    const complete = await openManifest(path);
    const bytes = dropFinalNewline(path);
    for (const manifest of [
      await openManifest(path),
      await openManifest(path, { lazy: true, historyCache: true }),
      await manifestFromText(bytes),
    ]) {
      expect(manifest.events()).toHaveLength(3);
      expect(manifest.status(web3.id).channels).toEqual(["canary"]);
      expect(manifest.history()).toEqual(complete.history());
      expect(manifest.tornTail()).toBeUndefined();
      expect(manifest.integrity()).toEqual({ intact: true });
    }
    const report = await checkManifest(path);
    expect(report).toMatchObject({ ok: true, lines: 12, events: 3, problems: [] });
    expect(report.unterminated).toEqual({ line: 12, offset: bytes.lastIndexOf(0x0a) + 1 });
    expect(report.torn).toBeUndefined();
  });

  it("is read through the history cache as without it, and never cached", async () => {
    const { path, manifest, base1 } = await fleet();
    // A cache of the first 12 lines; then a 13th and a 14th line, whose newline goes.
    (await openManifest(path, { lazy: true, historyCache: true })).history();
    await manifest.appendEvent({ event: "promote", target: base1.id, channel: "first" });
    const deprecated = await manifest.appendEvent({ event: "deprecate", target: base1.id, reason: "old" });
    dropFinalNewline(path);

    const fromCache = loadImagesOnly(path);
    expect(ids(fromCache)).toEqual(ids(loadManifestFile(path, { skipLayers: true })));
    expect(ids(fromCache).at(-1)).toBe(`14 ${deprecated.id}`);
    expect(fromCache).toMatchObject({ unterminated: { line: 14 }, lineCount: 13 });
    // The cache was extended to where complete lines end, not past them.
    expect(readFileSync(historyCachePath(path), "utf8")).not.toContain(deprecated.id);

    // Once a write added the newline, the cache reads on from where it stopped, the 13th line once.
    await (await openManifest(path, { env: {} })).appendEvent({
      event: "promote",
      target: base1.id,
      channel: "old",
    });
    const after = loadImagesOnly(path);
    expect(ids(after)).toEqual(ids(loadManifestFile(path, { skipLayers: true })));
    expect(ids(after).filter((id) => id.endsWith(deprecated.id))).toEqual([`14 ${deprecated.id}`]);
    expect(after.unterminated).toBeUndefined();
  });

  it("gets its newline from the next write, which moves nothing aside and warns of nothing", async () => {
    const { path, base3 } = await fleet();
    const bytes = dropFinalNewline(path);
    const warnings: string[] = [];
    const writer = await openManifest(path, { env: {}, onWarning: (message) => warnings.push(message) });
    const record = await writer.register(imageInput({ lineage: "web", parent: { record: base3.id } }));
    expect(warnings).toEqual([]);
    expect(existsSync(`${path}.torn`)).toBe(false);
    const after = readFileSync(path);
    expect(after.subarray(0, bytes.length)).toEqual(bytes);
    expect(after.toString("utf8", bytes.length)).toMatch(/^\n\{.*\}\n$/);
    expect(record.build).toBe(4);
    // The writer's own index read the line once, before and after the newline came.
    expect(writer.events()).toHaveLength(3);
    expect(writer.lineOf(record.id)).toBe(13);
    expect(await checkManifest(path)).toMatchObject({ ok: true, lines: 13, events: 3, problems: [] });
    expect((await checkManifest(path)).unterminated).toBeUndefined();
  });

  it("is refused by writers, and left as it is, when it was edited too", async () => {
    const { path, base3 } = await fleet();
    const lines = fileLines(path);
    lines[11] = (lines[11] as string).replace('"channel":"canary"', '"channel":"stable"');
    writeFileSync(path, lines.slice(0, 12).join("\n"));
    const bytes = readFileSync(path);
    const writer = await openManifest(path, { env: {} });
    expect(writer.integrity().problem).toMatchObject({ line: 12, code: "edited" });
    await expect(
      writer.register(imageInput({ lineage: "web", parent: { record: base3.id } })),
    ).rejects.toMatchObject({
      code: "manifest-chain-broken",
      message: expect.stringContaining("line 12 was edited"),
    });
    expect(readFileSync(path)).toEqual(bytes);
    expect(existsSync(`${path}.torn`)).toBe(false);
    const report = await checkManifest(path);
    expect(report.problems.map((problem) => [problem.code, problem.line])).toEqual([["id-mismatch", 12]]);
  });

  it("is refused by writers, not moved aside, when it does not follow the line before it", async () => {
    const { path, base3 } = await fleet();
    const lines = fileLines(path);
    // Line 11 again as a 13th line: JSON, but its prev is line 10's hash.
    writeFileSync(path, `${lines.slice(0, 12).join("\n")}\n${lines[10]}`);
    const bytes = readFileSync(path);
    const writer = await openManifest(path, { env: {} });
    await expect(
      writer.register(imageInput({ lineage: "web", parent: { record: base3.id } })),
    ).rejects.toMatchObject({
      code: "manifest-chain-broken",
      message: expect.stringContaining("line 13"),
    });
    expect(readFileSync(path)).toEqual(bytes);
    expect(existsSync(`${path}.torn`)).toBe(false);
    const report = await checkManifest(path);
    expect(report.problems.map((problem) => problem.code)).toEqual(["chain-broken", "duplicate-id"]);
  });

  it("is a line for `bake manifest copy` from a file, and gets its newline when copied into", async () => {
    const { path, dir } = await fleet();
    const lines = fileLines(path).slice(0, 12);
    dropFinalNewline(path);
    const source = new FileStore(path);
    expect((await source.read(0)).lines).toEqual(lines);

    const target = new FileStore(`${dir}/copy.jsonl`);
    writeFileSync(`${dir}/copy.jsonl`, lines.slice(0, 5).join("\n"));
    const tip = (await target.read(0)).tip;
    expect(tip.count).toBe(5);
    expect(await target.append(lines.slice(5), tip)).toMatchObject({ ok: true });
    expect(readFileSync(`${dir}/copy.jsonl`, "utf8")).toBe(`${lines.join("\n")}\n`);
  });
});

describe("fsck and the .torn file", () => {
  it("counts whole lines an older bake moved there, which were not torn writes", async () => {
    const { path } = await fleet();
    const lines = fileLines(path);
    writeFileSync(`${path}.torn`, `${(lines[4] as string).slice(0, 30)}\n${lines[11]}\n`);
    expect((await checkManifest(path)).tornFile).toMatchObject({ wholeLines: 1 });
    writeFileSync(`${path}.torn`, `${(lines[4] as string).slice(0, 30)}\n`);
    expect((await checkManifest(path)).tornFile).toEqual({ path: `${path}.torn`, bytes: 31 });
  });
});
