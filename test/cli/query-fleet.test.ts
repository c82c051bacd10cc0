import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openManifest } from "../../src/manifest/manifest.js";
import type { ImageRecord } from "../../src/manifest/types.js";
import type { FakeImage } from "../fakes/gce/resources.js";
import { FakeCompute } from "../fakes/gce/server.js";
import { ensureBuilt, repo, runBake } from "../helpers/compiled-cli.js";

// A fleet on the fake Compute Engine: two gce builds of one recipe (openssl 3.0.11, then the fixed 3.0.13), three
// servers booted from them, observed by `bake fleet`. Every bake command runs the compiled CLI as its own process.

let fake: FakeCompute;
let dir: string;
let old: ImageRecord;
let fixed: ImageRecord;

const env = () => ({
  BAKE_GCE_ENDPOINT: fake.endpoint,
  BAKE_GCE_PROJECT: "bake-test",
  BAKE_GCE_POLL_INTERVAL: "50ms",
  BAKE_GCE_RETRY_DELAY: "10ms",
  NO_COLOR: "1",
  CI: "true",
});
const bake = (...args: string[]) => runBake(args, { cwd: dir, env: env(), timeoutMs: 180_000 });

function imageOf(record: ImageRecord): FakeImage {
  const match = /^projects\/([^/]+)\/global\/images\/([^@]+)@\d+$/.exec(record.artifact);
  const image = match ? fake.images.get(`${match[1]}/${match[2]}`) : undefined;
  if (!image) throw new Error(`no fake image for ${record.artifact}`);
  return image;
}

interface QueryJson {
  query: string;
  matches: {
    record: string;
    lineage: string;
    build: number;
    status: string;
    package: { ecosystem: string; name: string; version: string; arch?: string };
    servers: string[];
  }[];
  uninventoried: string[];
  live: boolean;
}

beforeAll(async () => {
  await ensureBuilt();
  fake = await FakeCompute.start();
  dir = await mkdtemp(join(tmpdir(), "bake-query-fleet-"));
  await copyFile(join(repo, "test/fixtures/gce-fleet-query/recipe.yaml"), join(dir, "recipe.yaml"));
  for (const vars of [
    ["app_version=1.0.0", "openssl=3.0.11-1~deb12u2"],
    ["app_version=1.1.0", "openssl=3.0.13-1~deb12u1"],
  ]) {
    const built = await bake("build", "recipe.yaml", ...vars.flatMap((v) => ["--var", v]));
    if (built.code !== 0) throw new Error(`build failed (${built.code}): ${built.stderr}`);
  }
  const images = (await openManifest(join(dir, "bake.lineage.jsonl")))
    .records()
    .filter((r) => r.kind === "image");
  [old, fixed] = images as [ImageRecord, ImageRecord];
  fake.addServer({ project: "bake-test", zone: "us-central1-a", name: "web-a", image: imageOf(old) });
  fake.addServer({ project: "bake-test", zone: "us-central1-b", name: "web-b", image: imageOf(old) });
  fake.addServer({ project: "bake-test", zone: "us-central1-a", name: "web-c", image: imageOf(fixed) });
}, 300_000);
afterAll(async () => {
  await fake?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("bake query package over a fleet on the fake Compute Engine", () => {
  test("the gce builds recorded the openssl build each image holds", () => {
    expect(old.details).toMatchObject({ packages: "2", sbom: expect.stringMatching(/^sha256:/) });
    expect(fixed.details).toMatchObject({ packages: "2", sbom: expect.stringMatching(/^sha256:/) });
  });

  test("before any observation it names the image but no server, and exits 0", async () => {
    const result = await bake("query", "package", "openssl@<3.0.13", "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as QueryJson;
    expect(json.matches.map((m) => [m.record, m.servers])).toEqual([[old.id, []]]);
    expect(json.live).toBe(false);
  });

  test("after bake fleet, it names the servers that run the older build, and exits 1", async () => {
    const fleet = await bake("fleet", "--json");
    expect(fleet.stderr).toBe("");
    expect((JSON.parse(fleet.stdout) as { observed: number }).observed).toBe(3);

    const result = await bake("query", "package", "openssl@<3.0.13");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^web#1 \(\w+\) 1\.0\.0 {2}openssl 3\.0\.11-1~deb12u2 \[amd64\]/m);
    expect(result.stdout).toContain("  running on web-a\n  running on web-b\n");
    expect(result.stdout).not.toContain("web-c");
    expect(result.stdout).not.toContain("3.0.13");

    const json = JSON.parse(
      (await bake("query", "package", "openssl@<3.0.13", "--json")).stdout,
    ) as QueryJson;
    expect(json).toEqual({
      manifest: join(dir, "bake.lineage.jsonl"),
      intact: true,
      query: "openssl@<3.0.13",
      matches: [
        {
          record: old.id,
          lineage: "web",
          build: 1,
          version: "1.0.0",
          status: "active",
          package: { ecosystem: "deb", name: "openssl", version: "3.0.11-1~deb12u2", arch: "amd64" },
          servers: ["web-a", "web-b"],
        },
      ],
      uninventoried: [],
      live: true,
    });
  });

  test("the fixed build's servers answer the other range, and a range nothing runs exits 0", async () => {
    const fixedRange = JSON.parse((await bake("query", "package", "openssl@>=3.0.13", "--json")).stdout);
    expect(
      fixedRange.matches.map((m: { record: string; servers: string[] }) => [m.record, m.servers]),
    ).toEqual([[fixed.id, ["web-c"]]]);
    const none = await bake("query", "package", "openssl@<3.0.0");
    expect(none.code).toBe(0);
    expect(none.stdout).toContain("no image holds openssl@<3.0.0");
  });

  test("answers the same from its derived index, and from the inventories when the index is damaged", async () => {
    const index = join(dir, ".bake-cache/bake.lineage.jsonl.packages.json");
    const before = (await bake("query", "package", "openssl", "--json")).stdout;
    expect(JSON.parse(before).matches).toHaveLength(2);
    expect(await readFile(index, "utf8")).toContain('"format":2');
    // A damaged index (its checksum line does not match what follows) is rebuilt from the inventories.
    await writeFile(index, `${"0".repeat(71)}\n{}`);
    expect((await bake("query", "package", "openssl", "--json")).stdout).toBe(before);
    expect(await readFile(index, "utf8")).toContain('"format":2');
  });

  test("a deprecated image still running keeps the gate failing; --active-only leaves it out", async () => {
    expect((await bake("deprecate", "web#1", "--reason", "superseded by web#2")).code).toBe(0);
    const all = await bake("query", "package", "openssl@<3.0.13", "--json");
    expect(all.code).toBe(1);
    expect((JSON.parse(all.stdout) as QueryJson).matches[0]).toMatchObject({
      status: "deprecated",
      servers: ["web-a", "web-b"],
    });
    const active = await bake("query", "package", "openssl@<3.0.13", "--active-only", "--json");
    expect(active.code).toBe(0);
    expect(JSON.parse(active.stdout)).toMatchObject({ matches: [], live: false });
    const anyOpenssl = await bake("query", "package", "openssl", "--active-only", "--json");
    expect(anyOpenssl.code).toBe(1);
    expect((JSON.parse(anyOpenssl.stdout) as QueryJson).matches.map((m) => m.record)).toEqual([fixed.id]);
  });

  test("once bake fleet sees the servers moved to the fixed image, the gate passes", async () => {
    // Recreated under the same names from the fixed image, as a rolling replacement does.
    fake.addServer({ project: "bake-test", zone: "us-central1-a", name: "web-a", image: imageOf(fixed) });
    fake.addServer({ project: "bake-test", zone: "us-central1-b", name: "web-b", image: imageOf(fixed) });
    expect((await bake("fleet")).code).toBe(0);
    const result = await bake("query", "package", "openssl@<3.0.13");
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain("running on");
  });
});
