import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenOptions } from "../../../src/manifest/api.js";
import { openManifest } from "../../../src/manifest/manifest.js";
import type { LineStore, StoreRead } from "../../../src/manifest/store/line-store.js";
import { openLineStore } from "../../../src/manifest/store/open.js";
import { storeCachePaths } from "../../../src/manifest/store/store-cache.js";
import { StoreManifest } from "../../../src/manifest/store/store-manifest.js";
import { buildFleet, imageInput } from "../helpers.js";
import { bake } from "./bake-cli.js";
import { startCluster, TEST_PG_PASSWORD, type TestCluster } from "./postgres-cluster.js";
import { type StoreKind, storeKinds } from "./store-kinds.js";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster?.destroy());

/** Every `read` a real store answers: where it started and how many lines it returned. */
interface Counted {
  store: LineStore;
  reads: { from: number; lines: number }[];
}

// Wraps a real store to record its reads; every call still goes to the store.
async function counted(location: string, env: Record<string, string>): Promise<Counted> {
  const store = await openLineStore(location, { env });
  const reads: Counted["reads"] = [];
  const read = store.read.bind(store);
  store.read = async (from: number): Promise<StoreRead> => {
    const result = await read(from);
    reads.push({ from, lines: result.lines.length });
    return result;
  };
  return { store, reads };
}

async function openCached(location: string, env: Record<string, string>) {
  const { store, reads } = await counted(location, env);
  const options: OpenOptions = { env, historyCache: true };
  const manifest = await StoreManifest.open(store, options);
  return { manifest, reads, close: () => store.close() };
}

// What an uncached process sees: the reference every cached read must equal.
async function uncachedHistory(location: string) {
  const manifest = await openManifest(location, { create: true, env: {} });
  return { history: manifest.history(), all: manifest.history({ includeLayers: true }) };
}

for (const kind of storeKinds(() => cluster).filter((k) => k.name !== "file")) {
  describe(`the local cache of a ${kind.name} store`, () => {
    let cacheDir: string;
    let env: Record<string, string>;
    const dirs: string[] = [];
    afterAll(() => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    // A store with the fleet in it, and a cache of its 12 lines in a cache directory of its own.
    async function warmed() {
      cacheDir = mkdtempSync(join(tmpdir(), "bake-store-cache-"));
      dirs.push(cacheDir);
      env = { BAKE_CACHE_DIR: cacheDir };
      const location = await kind.fresh();
      const fleet = await buildFleet(await openManifest(location, { create: true, env: {} }));
      const first = await openCached(location, env);
      first.manifest.history();
      await first.close();
      expect(first.reads[0]).toEqual({ from: 0, lines: 12 });
      return { location, fleet };
    }

    it("lets a second process read only the rows appended since, with the same history as an uncached read", async () => {
      const { location, fleet } = await warmed();
      const writer = await openManifest(location, { create: true, env: {} });
      await writer.appendEvent({ event: "deprecate", target: fleet.web1.id, reason: "superseded" });

      const second = await openCached(location, env);
      // The cached last line (line 12) to check it, and the one new line.
      expect(second.reads).toEqual([{ from: 11, lines: 2 }]);
      expect(second.manifest.integrity()).toEqual({ intact: true });
      const reference = await uncachedHistory(location);
      expect(second.manifest.history()).toEqual(reference.history);
      expect(second.manifest.history({ includeLayers: true })).toEqual(reference.all);
      await second.close();

      const third = await openCached(location, env);
      expect(third.reads).toEqual([{ from: 12, lines: 1 }]);
      expect(third.manifest.history()).toEqual(reference.history);
      await third.close();
    });

    it("builds a writer's index from the cached lines and writes on the store's tip", async () => {
      const { location, fleet } = await warmed();
      const cached = await openCached(location, env);
      const record = await cached.manifest.register(
        imageInput({ lineage: "web", parent: { record: fleet.base3.id }, version: "2.2.0", seed: "4" }),
      );
      expect(record.build).toBe(4);
      expect(cached.reads.every((read) => read.from > 0)).toBe(true);
      await cached.close();
      const reopened = await openManifest(location, { create: true, env: {} });
      expect(reopened.integrity()).toEqual({ intact: true });
      expect(reopened.resolve("web#4").id).toBe(record.id);
    });

    it("ignores a cache document whose bytes were edited, and reads the store in full", async () => {
      const { location } = await warmed();
      const document = readdirSync(join(cacheDir, "stores")).find((name) => name.endsWith(".json"));
      const path = join(cacheDir, "stores", document as string);
      const text = readFileSync(path, "utf8");
      writeFileSync(path, text.replace('"web"', '"wob"'));
      const reopened = await openCached(location, env);
      expect(reopened.reads[0]).toEqual({ from: 0, lines: 12 });
      expect(reopened.manifest.history()).toEqual((await uncachedHistory(location)).history);
      await reopened.close();
    });

    it("reads the store in full when a line before the cached position was rewritten, and reports the edit", async () => {
      const { location } = await warmed();
      await kind.tamper(location, 3, (line) => line.replace('"version":"1.1.0"', '"version":"6.6.6"'));
      const reopened = await openCached(location, env);
      // The cached position is checked (line 12 still hashes as cached), then the store's witness fails.
      expect(reopened.reads.map((read) => read.from)).toEqual([11, 0]);
      expect(reopened.manifest.integrity().problem?.line).toBe(3);
      await reopened.close();
    });

    it("refuses to build a writer's index on cached lines that were edited, and rereads the store instead", async () => {
      const { location, fleet } = await warmed();
      for (const name of readdirSync(join(cacheDir, "stores")).filter((n) => n.endsWith(".lines"))) {
        const path = join(cacheDir, "stores", name);
        writeFileSync(path, readFileSync(path, "utf8").replace('"version":"1.1.0"', '"version":"6.6.6"'));
      }
      const cached = await openCached(location, env);
      await cached.manifest.appendEvent({ event: "promote", target: fleet.web3.id, channel: "stable" });
      expect(cached.reads.some((read) => read.from === 0)).toBe(true);
      expect(cached.manifest.resolve("base@1.1.0").id).toBe(fleet.base2.id);
      await cached.close();
    });
  });
}

describe("where a store's cache lives", () => {
  it("is under BAKE_CACHE_DIR, else XDG_CACHE_HOME/bake, else ~/.cache/bake, in stores/", () => {
    const identity = "postgres\npostgres://bake@db/infra?schema=bake";
    expect(storeCachePaths(identity, { BAKE_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x" }).document).toMatch(
      /^\/c\/stores\/[0-9a-f]{32}\.json$/,
    );
    expect(storeCachePaths(identity, { XDG_CACHE_HOME: "/x" }).lines).toMatch(
      /^\/x\/bake\/stores\/[0-9a-f]{32}\.lines$/,
    );
    expect(storeCachePaths(identity, {}).lines).toContain(join(homedir(), ".cache", "bake", "stores"));
    expect(storeCachePaths(`${identity}2`, {}).lines).not.toBe(storeCachePaths(identity, {}).lines);
  });
});

describe("bake history and fsck on a cached PostgreSQL store", () => {
  it("shows an edited old row in a later process even though a cache was warm", async () => {
    const postgres = storeKinds(() => cluster).find((kind) => kind.name === "postgres") as StoreKind;
    const cacheDir = mkdtempSync(join(tmpdir(), "bake-store-cache-cli-"));
    const env = { BAKE_CACHE_DIR: cacheDir };
    const location = await postgres.fresh();
    await buildFleet(await openManifest(location, { create: true, env: {} }));
    const first = await bake(["history", "--json", "--manifest", location], { env });
    expect(first.code).toBe(0);
    const again = await bake(["history", "--json", "--manifest", location], { env });
    expect(again.stdout).toBe(first.stdout);
    const files = readdirSync(join(cacheDir, "stores"));
    expect(files.some((name) => name.endsWith(".lines"))).toBe(true);
    // The location carries the cluster's password; the cache is named and keyed by the location without it.
    expect(location).toContain(TEST_PG_PASSWORD);
    for (const name of files) {
      expect(name).not.toContain(TEST_PG_PASSWORD);
      expect(readFileSync(join(cacheDir, "stores", name), "utf8")).not.toContain(TEST_PG_PASSWORD);
    }

    await postgres.tamper(location, 4, (line) => line.replace('"driver":"', '"driver":"x'));
    const after = await bake(["history", "--json", "--manifest", location], { env });
    expect(JSON.parse(after.stdout)).toMatchObject({ intact: false, problem: { line: 4 } });
    const fsck = await bake(["fsck", "--manifest", location], { env });
    expect(fsck.code).not.toBe(0);
    expect(fsck.stdout + fsck.stderr).toContain("line 4");
    rmSync(cacheDir, { recursive: true, force: true });
  });
});
