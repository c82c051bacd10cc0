import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openManifest } from "../../../src/manifest/manifest.js";
import { buildFleet } from "../helpers.js";
import { bake } from "./bake-cli.js";
import { bareRemote, refuseEveryPush } from "./git-remote.js";
import { startCluster, TEST_PG_PASSWORD, type TestCluster } from "./postgres-cluster.js";
import { type StoreKind, storeKinds } from "./store-kinds.js";

let cluster: TestCluster;
const cacheDir = mkdtempSync(join(tmpdir(), "bake-cli-cache-"));
const env = { BAKE_CACHE_DIR: cacheDir };
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => {
  cluster?.destroy();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe("bake manifest init, info and copy", () => {
  it("round-trips a lineage file -> PostgreSQL -> git -> file with byte-identical lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bake-roundtrip-"));
    const source = join(dir, "source.jsonl");
    await buildFleet(await openManifest(source, { create: true, env: {} }));
    const pg = `${await cluster.database("roundtrip")}?schema=lineage`;
    const git = bareRemote().location;
    const back = join(dir, "back.jsonl");

    const init = await bake(["manifest", "init", "--manifest", pg], { env });
    expect(init.stderr).toBe("");
    expect(init.stdout).toContain("created schema version 2");
    for (const [from, to] of [
      [source, pg],
      [pg, git],
      [git, back],
    ] as const) {
      const copied = await bake(["manifest", "copy", from, to], { env });
      expect(copied.stderr).toBe("");
      expect(copied.code).toBe(0);
      expect(copied.stdout).toMatch(/^copied 12 lines from .* fsck clean, read back identical\n$/);
    }
    expect(readFileSync(back)).toEqual(readFileSync(source));

    const info = await bake(["manifest", "info", "--manifest", pg, "--json"], { env });
    expect(JSON.parse(info.stdout)).toMatchObject({
      kind: "postgres",
      records: 8,
      images: 6,
      layers: 2,
      events: 3,
      lineages: 2,
      store: { schema: "lineage", schemaVersion: 2 },
    });
    const gitInfo = await bake(["manifest", "info", "--manifest", git], { env });
    expect(gitInfo.stdout).toMatch(/store +git\n/);
    expect(gitInfo.stdout).toContain("8 (6 images, 2 layers) in 2 lineages");
    // The branch has commits: its tip is one, not "(no branch yet)".
    const gitTip = JSON.parse(
      (await bake(["manifest", "info", "--manifest", git, "--json"], { env })).stdout,
    );
    expect(gitTip.store.tip).toMatch(/^[0-9a-f]{40}$/);

    // Every command reads the stores as it reads a file.
    for (const location of [pg, git]) {
      const history = await bake(["history", "web", "--json", "--manifest", location], { env });
      expect(
        JSON.parse(history.stdout).lineages[0].entries.map((entry: { build: number }) => entry.build),
      ).toEqual([3, 2, 1]);
      const fsck = await bake(["fsck", "--manifest", location], { env });
      expect(fsck.stdout).toContain("ok: 6 images, 2 layer records, 3 events in 2 lineages");
      const promote = await bake(["promote", "web#1", "old", "--manifest", location], { env });
      expect(promote.code).toBe(0);
    }
    // A second copy into the same place refuses: the destination moved on.
    const again = await bake(["manifest", "copy", source, pg], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already holds a different lineage");
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  it("warns readers of a store whose chain is broken, refuses writers and lets fsck name the line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bake-tampered-"));
    const source = join(dir, "source.jsonl");
    await buildFleet(await openManifest(source, { create: true, env: {} }));
    const kind = storeKinds(() => cluster).find((each) => each.name === "postgres") as StoreKind;
    const pg = await kind.fresh();
    expect((await bake(["manifest", "copy", source, pg], { env })).code).toBe(0);
    await kind.tamper(pg, 6, (text) => text.replace('"version":"2.0.0"', '"version":"6.6.6"'));

    const history = await bake(["history", "web", "--manifest", pg], { env });
    expect(history.code).toBe(0);
    expect(history.stderr).toMatch(/^warning: postgres:\/\/postgres@.*: line 6 was edited/);
    const promote = await bake(["promote", "web#2", "prod", "--manifest", pg], { env });
    expect(promote.code).toBe(2);
    expect(promote.stderr).toContain("bake will not write to a manifest whose chain is broken");
    const fsck = await bake(["fsck", "--manifest", pg], { env });
    expect(fsck.code).toBe(1);
    expect(fsck.stdout).toMatch(
      /postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres\?schema=\w+:6: record [0-9a-f]{12} \(line 6\) was edited/,
    );
    for (const run of [history, promote, fsck])
      expect(run.stdout + run.stderr).not.toContain(TEST_PG_PASSWORD);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("never prints the password of a PostgreSQL URL, in output or in errors", async () => {
    const pg = `${await cluster.database("secret")}?schema=bake`;
    expect(pg).toContain(TEST_PG_PASSWORD);
    const runs = [
      await bake(["history", "--manifest", pg], { env }),
      await bake(["manifest", "init", "--manifest", pg], { env }),
      await bake(["manifest", "info", "--manifest", pg, "--json"], { env }),
      await bake(["fsck", "--manifest", pg], { env }),
      await bake(["history", "--manifest", pg.replace(TEST_PG_PASSWORD, "wrong-secret")], { env }),
      await bake(["history"], { env: { ...env, BAKE_MANIFEST: pg.replace("/secret?", "/nodb?") } }),
      // What the URL leaves out comes from the usual PG* variables: here the user, password, host and port.
      await bake(["manifest", "info", "--json", "--manifest", "postgres:///secret?schema=bake"], {
        env: {
          ...env,
          PGUSER: "postgres",
          PGPASSWORD: TEST_PG_PASSWORD,
          PGHOST: "127.0.0.1",
          PGPORT: String(cluster.port),
        },
      }),
    ];
    for (const run of runs) {
      expect(run.stdout + run.stderr).not.toContain(TEST_PG_PASSWORD);
      expect(run.stdout + run.stderr).not.toContain("wrong-secret");
    }
    expect(runs[0]).toMatchObject({ code: 2, stderr: expect.stringContaining("bake manifest init") });
    expect(runs[4]).toMatchObject({ code: 2, stderr: expect.stringContaining("refused the login") });
    expect(runs[5]).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('database "nodb" does not exist'),
    });
    expect(runs[6]).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(runs[6]?.stdout as string)).toMatchObject({
      kind: "postgres",
      store: { schema: "bake" },
    });
    for (const run of runs) expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("fails with one line and exit 2 when the git remote is unreachable or refuses every push", async () => {
    const unreachable = await bake(
      ["promote", "web#1", "x", "--manifest", "git+file:///nonexistent/lineage.git"],
      { env },
    );
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(
      /^error: cannot reach the git remote of git\+file:\/\/\/nonexistent\/lineage.git#bake\/lineage \(fetch\): .*\n {2}hint: /,
    );

    const remote = bareRemote();
    const dir = mkdtempSync(join(tmpdir(), "bake-refuse-"));
    const source = join(dir, "source.jsonl");
    await buildFleet(await openManifest(source, { create: true, env: {} }));
    expect((await bake(["manifest", "copy", source, remote.location], { env })).code).toBe(0);
    refuseEveryPush(remote.repo);
    const refused = await bake(["promote", "web#1", "stable", "--manifest", remote.location], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /refused the write 4 times: the remote refused the push: \[remote rejected\] .*pre-receive hook declined/,
    );
    expect(refused.stderr).toContain("protected branch");
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
