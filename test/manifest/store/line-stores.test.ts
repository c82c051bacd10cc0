import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLocation } from "../../../src/manifest/location.js";
import { GitStore, SEGMENT_LINES } from "../../../src/manifest/store/git-store.js";
import { PostgresStore } from "../../../src/manifest/store/postgres-store.js";
import { bareRemote, gitDaemon, refuseEveryPush } from "./git-remote.js";
import { startCluster, TEST_PG_PASSWORD, type TestCluster } from "./postgres-cluster.js";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster?.destroy());

async function pgStore(name: string): Promise<PostgresStore> {
  const location = parseLocation(`${await cluster.database(name)}?schema=bake`);
  if (location.kind !== "postgres") throw new Error("not postgres");
  return new PostgresStore(location);
}

function gitStore(remote = bareRemote()): { store: GitStore; remote: ReturnType<typeof bareRemote> } {
  const location = parseLocation(remote.location);
  if (location.kind !== "git") throw new Error("not git");
  return { store: new GitStore({ ...location, cacheDir: remote.cacheDir }), remote };
}

describe("the PostgreSQL line store", () => {
  it("refuses to read a database without bake's tables, and says to run bake manifest init", async () => {
    const store = await pgStore("nometa");
    await expect(store.read(0)).rejects.toMatchObject({
      code: "store-schema-missing",
      hint: expect.stringContaining("bake manifest init"),
    });
    await store.close();
  });

  it("refuses an older schema version until init migrates it, and never migrates on its own", async () => {
    const store = await pgStore("oldschema");
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: await cluster.database("oldschema") });
    await client.connect();
    const { migrate } = await import("../../../src/manifest/store/postgres-schema.js");
    // biome-ignore lint/suspicious/noExplicitAny: a bare client stands in for a pool client here
    await migrate(client as any, "bake", 1);
    await client.end();
    await expect(store.read(0)).rejects.toMatchObject({ code: "store-schema-old" });
    expect(await store.init()).toEqual({ from: 1, to: 2 });
    expect(await store.read(0)).toEqual({ lines: [], tip: { count: 0, token: "0" } });
    await store.close();
  });

  it("appends by compare-and-swap: a writer on a stale tip gets a conflict and nothing is written", async () => {
    const store = await pgStore("cas");
    await store.init();
    const first = await store.append(['{"bake":"manifest"}', '{"id":"a","prev":"h0"}'], {
      count: 0,
      token: "",
    });
    expect(first).toEqual({ ok: true, tip: { count: 2, token: "2" } });
    const stale = await store.append(['{"id":"b","prev":"h0"}'], { count: 1, token: "1" });
    expect(stale).toMatchObject({ ok: false, reason: "conflict" });
    // Same position claimed by a line that forks the chain (same prev): refused by the unique prev.
    const fork = await store.append(['{"id":"c","prev":"h0"}'], { count: 2, token: "2" });
    expect(fork).toMatchObject({ ok: false, reason: "conflict" });
    expect((await store.read(0)).lines).toEqual(['{"bake":"manifest"}', '{"id":"a","prev":"h0"}']);
    expect((await store.read(1)).lines).toEqual(['{"id":"a","prev":"h0"}']);
    await store.close();
  });

  it("refuses UPDATE and DELETE of a stored line in the database itself", async () => {
    const store = await pgStore("appendonly");
    await store.init();
    await store.append(['{"bake":"manifest"}'], { count: 0, token: "" });
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: cluster.url.replace(/\/postgres$/, "/appendonly") });
    await client.connect();
    await expect(client.query("DELETE FROM bake.lines")).rejects.toThrow(/append-only/);
    await expect(client.query("UPDATE bake.lines SET line = 'x'")).rejects.toThrow(/append-only/);
    await client.end();
    await store.close();
  });

  it("reports a failed login in one line without the password", async () => {
    const url = (await cluster.database("login")).replace(TEST_PG_PASSWORD, "wrong-password");
    const location = parseLocation(url);
    if (location.kind !== "postgres") throw new Error("not postgres");
    const store = new PostgresStore(location);
    const error = await store.read(0).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "store-auth-failed" });
    expect(
      JSON.stringify({ message: (error as Error).message, hint: (error as { hint: string }).hint }),
    ).not.toContain("wrong-password");
    await store.close();
  });

  it("reports an unreachable server in one line with a hint", async () => {
    const location = parseLocation("postgres://bake@127.0.0.1:1/lineage");
    if (location.kind !== "postgres") throw new Error("not postgres");
    const store = new PostgresStore(location);
    await expect(store.read(0)).rejects.toMatchObject({
      code: "store-unreachable",
      hint: expect.stringContaining("PostgreSQL"),
    });
    await store.close();
  });
});

describe("the git line store", () => {
  it("keeps lines in segment files so a commit rewrites one small file, with bake commit messages", async () => {
    const { store, remote } = gitStore();
    expect(await store.read(0)).toEqual({ lines: [], tip: { count: 0, token: "" } });
    let tip = { count: 0, token: "" };
    const all: string[] = [];
    // Most of the first segment in one write, then one line per write across the segment boundary.
    const batches = [SEGMENT_LINES - 2, 1, 1, 1, 1, 1];
    for (const size of batches) {
      const lines = Array.from({ length: size }, (_, i) => JSON.stringify({ n: all.length + i }));
      all.push(...lines);
      const result = await store.append(lines, tip);
      if (!result.ok) throw new Error(result.message);
      tip = result.tip;
    }
    const files = execFileSync("git", [
      "--git-dir",
      remote.repo,
      "ls-tree",
      "-r",
      "--name-only",
      "bake/lineage",
    ]).toString();
    expect(files.trim().split("\n")).toEqual([
      "bake-store.json",
      "lineage/000000.jsonl",
      "lineage/000001.jsonl",
    ]);
    const changed = execFileSync("git", [
      "--git-dir",
      remote.repo,
      "show",
      "--name-only",
      "--format=",
      "bake/lineage",
    ]).toString();
    expect(changed.trim()).toBe("lineage/000001.jsonl");
    // A second process reads it all, and from a position.
    const reader = gitStore(remote).store;
    expect((await reader.read(0)).lines).toEqual(all);
    expect((await reader.read(SEGMENT_LINES - 1)).lines).toEqual(all.slice(SEGMENT_LINES - 1));
    rmSync(remote.dir, { recursive: true, force: true });
  }, 120_000);

  it("turns the remote's non-fast-forward refusal into a conflict and leaves the branch as it was", async () => {
    const { store, remote } = gitStore();
    const header = '{"bake":"manifest"}';
    const line = `{"type":"record","kind":"image","lineage":"web","build":1,"id":"sha256:3f2a","prev":"x"}`;
    const first = await store.append([header, line], { count: 0, token: "" });
    expect(first.ok).toBe(true);
    const log = execFileSync("git", [
      "--git-dir",
      remote.repo,
      "log",
      "--format=%s",
      "bake/lineage",
    ]).toString();
    expect(log.trim()).toBe("bake: register web#1 sha256:3f2a");
    const other = gitStore(remote).store;
    const stale = await other.append([header], { count: 0, token: "" });
    expect(stale).toMatchObject({ ok: false, reason: "conflict" });
    expect((await other.read(0)).lines).toEqual([header, line]);
    rmSync(remote.dir, { recursive: true, force: true });
  });

  it("refuses to go on when the branch was force-pushed to a history without the tip it read", async () => {
    const { store, remote } = gitStore();
    const first = await store.append(['{"bake":"manifest"}', '{"n":1}'], { count: 0, token: "" });
    if (!first.ok) throw new Error(first.message);
    // Someone replaces the branch with a different history.
    const other = gitStore(bareRemote()).store;
    const forged = await other.append(['{"bake":"manifest"}', '{"n":"forged"}'], { count: 0, token: "" });
    if (!forged.ok) throw new Error(forged.message);
    execFileSync("git", [
      "--git-dir",
      remote.repo,
      "fetch",
      "-q",
      (other as unknown as { options: { remote: string } }).options.remote,
      `+bake/lineage:bake/lineage`,
    ]);
    await expect(store.read(2)).rejects.toMatchObject({ code: "store-rewritten" });
    rmSync(remote.dir, { recursive: true, force: true });
  });

  it("reports a push a pre-receive hook refuses as refused, not as a conflict", async () => {
    const { store, remote } = gitStore();
    refuseEveryPush(remote.repo);
    const result = await store.append(['{"bake":"manifest"}'], { count: 0, token: "" });
    expect(result).toMatchObject({
      ok: false,
      reason: "refused",
      message: expect.stringContaining("pre-receive hook declined"),
    });
    rmSync(remote.dir, { recursive: true, force: true });
  });

  it("reports an unreachable remote in one line with a hint", async () => {
    const location = parseLocation("git+file:///nonexistent/lineage.git");
    if (location.kind !== "git") throw new Error("not git");
    const { dir, cacheDir } = bareRemote();
    const store = new GitStore({ ...location, cacheDir });
    const error = await store.read(0).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: "store-unreachable",
      hint: expect.stringContaining("git ls-remote"),
    });
    expect((error as Error).message).not.toContain("\n");
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes and reads through git daemon with receive-pack enabled", async () => {
    const remote = bareRemote();
    const daemon = await gitDaemon(remote.dir);
    try {
      const location = parseLocation(`git+${daemon.url}/remote.git#bake/lineage`);
      if (location.kind !== "git") throw new Error("not git");
      const store = new GitStore({ ...location, cacheDir: remote.cacheDir });
      const result = await store.append(['{"bake":"manifest"}'], { count: 0, token: "" });
      expect(result.ok).toBe(true);
      const reader = new GitStore({ ...location, cacheDir: `${remote.cacheDir}-2` });
      expect((await reader.read(0)).lines).toEqual(['{"bake":"manifest"}']);
    } finally {
      daemon.stop();
      rmSync(remote.dir, { recursive: true, force: true });
    }
  });
});
