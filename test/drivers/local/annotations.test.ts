// Standard OCI annotations on local images and the recipe's runtime config, read back from `bake export` with
// skopeo, as another tool would. Runs the compiled CLI.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, runBake } from "../../helpers/compiled-cli.js";
import { makeBusyboxRootfs } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "bake-annotations-"));
const SHA = "0123456789abcdef0123456789abcdef01234567";
const env = (store: string) => ({
  CI: "true",
  NO_COLOR: "1",
  GITHUB_ACTIONS: "true",
  GITHUB_SHA: SHA,
  SOURCE_DATE_EPOCH: "1700000000",
  BAKE_STORE: join(work, store),
  BAKE_MANIFEST: join(work, `${store}.jsonl`),
});

function writeRecipe(cmd: string[]): void {
  writeFileSync(
    join(work, "recipe.yaml"),
    [
      "apiVersion: bake/v1",
      "name: annotated",
      'version: "3.1.4"',
      "from: dir:./rootfs",
      "target: { network: none }",
      "layers:",
      "  - name: one",
      "    steps: [{ run: mkdir -p /www && echo one > /www/one }]",
      "  - name: two",
      "    steps: [{ run: echo healthy > /www/health }]",
      "config:",
      `  cmd: ${JSON.stringify(cmd)}`,
      "  env: { MODE: production }",
      "  exposedPorts: [8080/tcp]",
      "  stopSignal: SIGINT",
      "  labels: { org.example.owner: web-team }",
      "verify:",
      "  - http: { url: http://127.0.0.1:8080/health, bodyContains: healthy }",
      "    retries: 20",
      "    interval: 200ms",
    ].join("\n"),
  );
}

async function buildAndExport(store: string): Promise<{ manifest: Record<string, unknown>; config: Config }> {
  const built = await runBake(["build", "recipe.yaml"], { cwd: work, env: env(store) });
  expect(built.code, built.stdout + built.stderr).toBe(0);
  const archive = join(work, `${store}.tar`);
  const exported = await runBake(["export", "annotated", "-o", archive], { cwd: work, env: env(store) });
  expect(exported.code, exported.stderr).toBe(0);
  const manifest = JSON.parse(
    execFileSync("skopeo", ["inspect", "--raw", `oci-archive:${archive}`], { encoding: "utf8" }),
  ) as Record<string, unknown>;
  const config = JSON.parse(
    execFileSync("skopeo", ["inspect", "--config", `oci-archive:${archive}`], { encoding: "utf8" }),
  ) as Config;
  return { manifest, config };
}

interface Config {
  created: string;
  config: {
    Cmd?: string[];
    Env?: string[];
    Labels?: Record<string, string>;
    ExposedPorts?: Record<string, unknown>;
    StopSignal?: string;
  };
}

function baseDigest(store: string): string {
  const lines = readFileSync(join(work, `${store}.jsonl`), "utf8")
    .split("\n")
    .filter(Boolean);
  const image = lines.map((line) => JSON.parse(line)).find((record) => record.kind === "image");
  return image.details.parentId as string;
}

beforeAll(async () => {
  makeBusyboxRootfs(join(work, "rootfs"));
  await ensureBuilt();
}, 300_000);

describe("local images carry the standard OCI annotations and the recipe's config", () => {
  test("exports an image whose manifest and config labels name base, version, revision, time and title", async () => {
    writeRecipe(["httpd", "-f", "-p", "8080", "-h", "/www"]);
    const { manifest, config } = await buildAndExport("a");
    const expected = {
      "org.opencontainers.image.base.name": "dir:./rootfs",
      "org.opencontainers.image.base.digest": baseDigest("a"),
      "org.opencontainers.image.version": "3.1.4",
      "org.opencontainers.image.revision": SHA,
      "org.opencontainers.image.created": "2023-11-14T22:13:20Z",
      "org.opencontainers.image.title": "annotated",
    };
    expect(expected["org.opencontainers.image.base.digest"]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(manifest.annotations).toEqual(expected);
    expect(config.config.Labels).toEqual({
      ...expected,
      "org.example.owner": "web-team",
      "dev.bake.lineage": "annotated",
      "dev.bake.version": "3.1.4",
      "dev.bake.layer": "two",
    });
    expect(config.created).toBe("2023-11-14T22:13:20Z");
    expect(config.config).toMatchObject({
      Cmd: ["httpd", "-f", "-p", "8080", "-h", "/www"],
      ExposedPorts: { "8080/tcp": {} },
      StopSignal: "SIGINT",
    });
    expect(config.config.Env).toContain("MODE=production");
  }, 120_000);

  test("builds the same image bytes again in a fresh store, annotations included", async () => {
    const first = await buildAndExport("a");
    const again = await buildAndExport("b");
    expect(again.manifest).toEqual(first.manifest);
  }, 120_000);

  test("makes a new image when only the config changes, rebuilding only the last layer", async () => {
    const before = await buildAndExport("a");
    writeRecipe(["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]);
    const built = await runBake(["build", "recipe.yaml"], { cwd: work, env: env("a") });
    expect(built.code, built.stdout + built.stderr).toBe(0);
    expect(built.stdout).toMatch(/layers\s+one, two \(baked: two; cached: one\)/);
    const after = await buildAndExport("a");
    expect(after.config.config.Cmd).toEqual(["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]);
    expect(after.manifest).not.toEqual(before.manifest);
  }, 120_000);
});
