import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { historyCachePath } from "../../src/manifest/history-cache.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { digest } from "../../src/util/digest.js";
import { fleetDir, runBake } from "./cli-helpers.js";
import { imageInput } from "./helpers.js";

// `bake history --json` with the cache as it is, and the same with no cache at all (the cache is then rebuilt).
async function historyJson(dir: string) {
  const run = await runBake(["history", "--json"], { cwd: dir });
  expect(run.code).toBe(0);
  return run.stdout;
}

async function freshHistoryJson(dir: string, path: string) {
  rmSync(historyCachePath(path), { force: true });
  return historyJson(dir);
}

// Rewrites the cache's document, keeping its checksum line valid, as a cache that lies would look.
function rewriteCache(path: string, change: (doc: { records: unknown[][] }) => void) {
  const text = readFileSync(historyCachePath(path), "utf8");
  const doc = JSON.parse(text.slice(text.indexOf("\n") + 1));
  change(doc);
  const body = JSON.stringify(doc);
  writeFileSync(historyCachePath(path), `${digest(body)}\n${body}`);
}

describe("history cache", () => {
  it("is written beside the manifest by `bake history` and kept out of git", async () => {
    const { dir, path } = await fleetDir();
    expect(existsSync(historyCachePath(path))).toBe(false);
    await historyJson(dir);
    expect(historyCachePath(path)).toBe(join(dir, ".bake-cache", "bake.lineage.jsonl.history.json"));
    expect(existsSync(historyCachePath(path))).toBe(true);
    expect(readFileSync(join(dir, ".bake-cache", ".gitignore"), "utf8")).toBe("*\n");
  });

  it("gives the same --json output on a cache hit as a run without the cache", async () => {
    const { dir, path } = await fleetDir();
    const first = await historyJson(dir);
    const written = statSync(historyCachePath(path)).mtimeMs;
    const hit = await historyJson(dir);
    expect(hit).toBe(first);
    expect(await freshHistoryJson(dir, path)).toBe(first);
    // A hit with nothing appended leaves the cache as it was.
    await historyJson(dir);
    expect(statSync(historyCachePath(path)).mtimeMs).toBeGreaterThanOrEqual(written);
    expect(JSON.parse(hit).lineages.map((l: { lineage: string }) => l.lineage)).toEqual(["base", "web"]);
  });

  it("serves a hit from the cache rather than from the whole file", async () => {
    const { dir, path } = await fleetDir();
    await historyJson(dir);
    // Proves the reader believes a matching cache: a version only the cache holds shows up.
    rewriteCache(path, (doc) => {
      for (const row of doc.records) row[4] = "from-the-cache";
    });
    expect(await historyJson(dir)).toContain('"version": "from-the-cache"');
  });

  it("answers the servers an image runs on from the cache too, without reading the whole file", async () => {
    const { dir, path, manifest, web2 } = await fleetDir();
    await manifest.appendEvent({
      event: "observe",
      target: web2.id,
      server: "web-1",
      details: { group: "web", zone: "z1" },
    });
    const first = JSON.parse(await historyJson(dir));
    expect(first.live[web2.id]).toEqual([{ group: "web", where: "z1", instances: 1 }]);
    // Proves the reader takes events from a matching cache: a group only the cache holds shows up.
    rewriteCache(path, (doc) => {
      for (const { event } of (
        doc as unknown as { events: { event: { details?: Record<string, string> } }[] }
      ).events)
        if (event.details?.group === "web") event.details.group = "from-the-cache";
    });
    const hit = JSON.parse(await historyJson(dir));
    expect(hit.live[web2.id]).toEqual([{ group: "from-the-cache", where: "z1", instances: 1 }]);
  });

  it("shows records appended after a cached read, and catches the cache up", async () => {
    const { dir, path, base3 } = await fleetDir();
    await historyJson(dir);
    const coveredBefore = cachedLength(path);
    const manifest = await openManifest(path, { create: true, env: {} });
    const added = await manifest.register(
      imageInput({ lineage: "web", parent: { record: base3.id }, version: "9.9.9" }),
    );
    await manifest.appendEvent({ event: "promote", target: added.id, channel: "canary" });
    const after = await historyJson(dir);
    const web = JSON.parse(after).lineages.find((l: { lineage: string }) => l.lineage === "web");
    expect(web.entries[0]).toMatchObject({ id: added.id, version: "9.9.9", channels: ["canary"] });
    expect(cachedLength(path)).toBe(statSync(path).size);
    expect(cachedLength(path)).toBeGreaterThan(coveredBefore);
    expect(await freshHistoryJson(dir, path)).toBe(after);
  });

  it("is ignored when the manifest was truncated under it", async () => {
    const { dir, path, web3 } = await fleetDir();
    expect(entryOf(await historyJson(dir), web3.id).channels).toEqual(["canary"]);
    // Drop the last line, the promotion of web#3 to canary.
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.slice(0, text.lastIndexOf("\n", text.length - 2) + 1));
    const after = await historyJson(dir);
    expect(entryOf(after, web3.id).channels).toEqual([]);
    expect(await freshHistoryJson(dir, path)).toBe(after);
  });

  it("is ignored when the bytes it covers were changed, even at the same length", async () => {
    const { dir, path, web3 } = await fleetDir();
    await historyJson(dir);
    const text = readFileSync(path, "utf8");
    const line = text.split("\n").find((l) => l.includes(`"id":"${web3.id}"`)) as string;
    expect(line).toContain('"version":"2.1.0"');
    const edited = text.replace(line, line.replace('"version":"2.1.0"', '"version":"2.1.9"'));
    expect(edited.length).toBe(text.length);
    writeFileSync(path, edited);
    expect(entryOf(await historyJson(dir), web3.id).version).toBe("2.1.9");
  });

  it("is ignored when the manifest was cut back and then grew past it with other records", async () => {
    const { dir, path, web3, base3 } = await fleetDir();
    await historyJson(dir);
    const covered = cachedLength(path);
    // Cut back to just before web#3 (a shorter chain that still holds, as after a `git checkout` of an older commit).
    const lines = readFileSync(path, "utf8").split("\n");
    const web3Line = lines.findIndex((line) => line.includes(`"id":"${web3.id}"`));
    writeFileSync(path, `${lines.slice(0, web3Line).join("\n")}\n`);
    const manifest = await openManifest(path, { create: true, env: {} });
    let other = await manifest.register(
      imageInput({ lineage: "web", parent: { record: base3.id }, version: "7.7.7-a-longer-version" }),
    );
    while (statSync(path).size < covered) {
      other = await manifest.register(
        imageInput({ lineage: "web", parent: { record: base3.id }, version: `7.7.${other.build}` }),
      );
    }
    const after = await historyJson(dir);
    expect(after).toContain(other.id);
    expect(after).not.toContain(web3.id);
    expect(await freshHistoryJson(dir, path)).toBe(after);
  });

  it("is ignored when the cache file is corrupt", async () => {
    const { dir, path } = await fleetDir();
    const expected = await historyJson(dir);
    const good = readFileSync(historyCachePath(path), "utf8");
    const corruptions = [
      "not json at all",
      good.slice(0, Math.floor(good.length / 2)),
      // Valid JSON with a byte changed: the checksum line no longer matches.
      good.replace('"base"', '"bass"'),
      "",
    ];
    for (const corrupt of corruptions) {
      writeFileSync(historyCachePath(path), corrupt);
      expect(await historyJson(dir)).toBe(expected);
    }
    // A cache from another format version is ignored too.
    rewriteCache(path, (doc) => {
      (doc as unknown as { version: number }).version = 999;
      for (const row of doc.records) row[4] = "stale";
    });
    expect(await historyJson(dir)).toBe(expected);
  });

  it("does not fail history when the cache cannot be written", async () => {
    const { dir, path } = await fleetDir();
    const expected = await freshHistoryJson(dir, path);
    rmSync(join(dir, ".bake-cache"), { recursive: true, force: true });
    // A file where the cache directory should be makes every write fail, even for root.
    writeFileSync(join(dir, ".bake-cache"), "in the way");
    const run = await runBake(["history", "--json"], { cwd: dir });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toBe(expected);
    expect(readFileSync(join(dir, ".bake-cache"), "utf8")).toBe("in the way");
  });

  it("is not used by fsck, which still names a record the cache would hide", async () => {
    const { dir, path, web3 } = await fleetDir();
    await historyJson(dir);
    const text = readFileSync(path, "utf8");
    const line = text.split("\n").find((l) => l.includes(`"id":"${web3.id}"`)) as string;
    writeFileSync(path, text.replace(line, line.replace('"version":"2.1.0"', '"version":"2.1.1"')));
    const fsck = await runBake(["fsck"], { cwd: dir });
    expect(fsck.code).toBe(1);
    expect(fsck.stdout + fsck.stderr).toContain(web3.id.slice(7, 19));
  });

  it("leaves an API reader without the option alone", async () => {
    const { path } = await fleetDir();
    (await openManifest(path)).history();
    expect(existsSync(historyCachePath(path))).toBe(false);
    const cached = await openManifest(path, { historyCache: true });
    expect(cached.history()).toEqual((await openManifest(path)).history());
    expect(existsSync(historyCachePath(path))).toBe(true);
  });
});

function cachedLength(path: string): number {
  const text = readFileSync(historyCachePath(path), "utf8");
  return JSON.parse(text.slice(text.indexOf("\n") + 1)).manifest.length;
}

function entryOf(json: string, id: string) {
  const entries = JSON.parse(json).lineages.flatMap((l: { entries: unknown[] }) => l.entries);
  return entries.find((entry: { id: string }) => entry.id === id);
}
