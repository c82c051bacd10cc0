import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { formatImageId } from "../../src/drivers/gce/image-ref.js";
import { type Manifest, openManifest } from "../../src/manifest/manifest.js";
import type { ImageRecord } from "../../src/manifest/types.js";
import type { TextOut } from "../../src/util/text-out.js";
import type { FakeImage } from "../fakes/gce/resources.js";
import { FakeCompute } from "../fakes/gce/server.js";

let fake: FakeCompute;
let dir: string;
let manifest: Manifest;
const recorded: Record<string, ImageRecord> = {};

const artifact = (image: FakeImage) =>
  formatImageId({ project: image.project, name: image.name, numericId: image.id });

// A lineage of two base builds and two app builds on them, as gce builds would have registered them.
beforeAll(async () => {
  fake = await FakeCompute.start();
  dir = await mkdtemp(join(tmpdir(), "bake-fleet-"));
  manifest = await openManifest(join(dir, "bake.lineage.jsonl"), { create: true, env: {} });
  const debian = fake.images.get("debian-cloud/debian-12-bookworm-v20260101") as FakeImage;
  const register = async (
    key: string,
    input: { lineage: string; version: string; image: FakeImage; parent?: ImageRecord },
  ) => {
    recorded[key] = await manifest.register({
      kind: "image",
      lineage: input.lineage,
      version: input.version,
      parent: input.parent
        ? { record: input.parent.id }
        : {
            external: {
              ref: "gce:projects/debian-cloud/global/images/family/debian-12",
              id: artifact(debian),
            },
          },
      driver: "gce",
      artifact: artifact(input.image),
      recipeDigest: `sha256:${"0".repeat(64)}`,
      layers: [],
    });
  };
  const images = {
    base1: fake.addImage({ project: "bake-test", name: "base-1-0-0-a", family: "base" }),
    web1: fake.addImage({ project: "bake-test", name: "web-2-4-0-a", family: "web" }),
    web2: fake.addImage({ project: "bake-test", name: "web-2-5-0-b", family: "web" }),
    web3: fake.addImage({ project: "bake-test", name: "web-2-6-0-c", family: "web" }),
    foreign: fake.addImage({ project: "other", name: "hand-made" }),
  };
  await register("base", { lineage: "base", version: "1.0.0", image: images.base1 });
  await register("web1", { lineage: "web", version: "2.4.0", image: images.web1, parent: recorded.base });
  await register("web2", { lineage: "web", version: "2.5.0", image: images.web2, parent: recorded.base });
  await register("web3", { lineage: "web", version: "2.6.0", image: images.web3, parent: recorded.base });
  await manifest.appendEvent({
    event: "revoke",
    target: recorded.web2?.id as string,
    reason: "CVE-2026-1234",
    cascade: false,
  });
  const zone = "us-central1-a";
  fake.addServer({ project: "bake-test", zone, name: "web-a", image: images.web3 });
  fake.addServer({ project: "bake-test", zone, name: "web-b", image: images.web1 });
  fake.addServer({ project: "bake-test", zone: "us-central1-b", name: "web-c", image: images.web2 });
  fake.addServer({ project: "bake-test", zone, name: "legacy", image: images.foreign });
});
afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

async function bake(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = (append: (text: string) => void): TextOut => ({
    write: (text: string) => append(text),
    isTTY: false,
  });
  const code = await main(args, {
    cwd: dir,
    env: { BAKE_GCE_ENDPOINT: fake.endpoint, BAKE_GCE_PROJECT: "bake-test", NO_COLOR: "1" },
    stdout: out((text) => {
      stdout += text;
    }),
    stderr: out((text) => {
      stderr += text;
    }),
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

describe("bake fleet", () => {
  test("maps every server to its image's full ancestry and flags revoked, outdated and unknown images", async () => {
    const result = await bake(["fleet", "--json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      observed: number;
      servers: {
        server: string;
        record: string | null;
        flags: string[];
        ancestry: string[];
        base: { ref: string } | null;
        newest: string | null;
      }[];
    };
    const byName = Object.fromEntries(report.servers.map((s) => [s.server, s]));
    expect(Object.keys(byName).sort()).toEqual(["legacy", "web-a", "web-b", "web-c"]);
    expect(byName["web-a"]).toMatchObject({
      record: recorded.web3?.id,
      flags: [],
      ancestry: [recorded.web3?.id, recorded.base?.id],
      base: { ref: "gce:projects/debian-cloud/global/images/family/debian-12" },
    });
    expect(byName["web-b"]).toMatchObject({
      record: recorded.web1?.id,
      flags: ["outdated"],
      newest: recorded.web3?.id,
    });
    expect(byName["web-c"]?.flags).toEqual(["revoked", "outdated"]);
    expect(byName["web-c"]?.ancestry).toEqual([recorded.web2?.id, recorded.base?.id]);
    expect(byName.legacy).toMatchObject({ record: null, flags: ["unknown"], ancestry: [] });
    expect(report.observed).toBe(3);
  });

  test("records observations once per change, which bake trace then follows", async () => {
    const again = await bake(["fleet", "--json"]);
    expect((JSON.parse(again.stdout) as { observed: number }).observed).toBe(0);
    await manifest.reload();
    expect(manifest.server("web-c")?.target).toBe(recorded.web2?.id);
    const trace = await bake(["trace", "web-c"]);
    expect(trace.code).toBe(0);
    expect(trace.stdout).toContain("server web-c runs web#2");
    expect(trace.stdout).toContain("revoked: CVE-2026-1234");
    expect(trace.stdout).toContain("external base gce:projects/debian-cloud/global/images/family/debian-12");
  });

  test("prints a table with a verdict per server and each chain", async () => {
    const result = await bake(["fleet"]);
    expect(result.stdout).toMatch(/^SERVER\s+ZONE\s+IMAGE\s+STATUS$/m);
    expect(result.stdout).toMatch(/^web-a\s+us-central1-a\s+web#3 2\.6\.0 \(\w+\)\s+ok$/m);
    expect(result.stdout).toMatch(
      /^web-c\s+us-central1-b\s+web#2 .*revoked: CVE-2026-1234, outdated \(newest: web#3\)$/m,
    );
    expect(result.stdout).toMatch(
      /^legacy\s+.*projects\/other\/global\/images\/hand-made@\d+\s+unknown to the manifest$/m,
    );
    expect(result.stdout).toContain(
      "web-b: web#1 <- base#1 <- gce:projects/debian-cloud/global/images/family/debian-12",
    );
    expect(result.stdout).toContain("4 servers, 3 flagged");
  });

  test("bake trace SERVER --target gce looks the server up live and records what it runs", async () => {
    const image = fake.images.get("bake-test/web-2-6-0-c") as FakeImage;
    fake.addServer({ project: "bake-test", zone: "us-central1-a", name: "web-new", image });
    const result = await bake(["trace", "web-new", "--target", "gce"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("server web-new runs web#3");
    await manifest.reload();
    expect(manifest.server("web-new")?.target).toBe(recorded.web3?.id);
  });

  test("refuses a driver that runs no servers", async () => {
    const result = await bake(["fleet", "--target", "local"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("the local driver does not run servers");
  });
});
