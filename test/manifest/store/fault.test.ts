import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openManifest } from "../../../src/manifest/manifest.js";
import { bake } from "./bake-cli.js";
import { startCluster, type TestCluster } from "./postgres-cluster.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "../../..");
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster?.destroy());

const RECIPE = `apiVersion: bake/v1
name: fault
version: "1.0.0"
from: host
target: { driver: local, network: none }
layers:
  - name: first
    steps:
      - run: mkdir -p /opt/fault && echo one > /opt/fault/first
  - name: second
    steps:
      - run: sleep 2 && echo two > /opt/fault/second
verify:
  - file: { path: /opt/fault/second, contains: two }
`;

/** Runs the compiled `bake build --json`, calling `onEvent` for each event line as it arrives. */
function build(dir: string, location: string, onEvent: (event: { type: string; layer?: string }) => void) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      [join(repo, "bin/bake.js"), "build", "recipe.yaml", "--json", "--manifest", location],
      {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: "true" },
      },
    );
    let stdout = "";
    let stderr = "";
    let pending = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.startsWith("{")) onEvent(JSON.parse(line));
    });
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("a PostgreSQL store that stops in the middle of bake build", () => {
  it("fails the build clearly, registers no image, and the same command succeeds after a restart reusing the built layer", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bake-fault-"));
    writeFileSync(join(dir, "recipe.yaml"), RECIPE);
    const location = `${await cluster.database("fault")}?schema=bake`;
    expect((await bake(["manifest", "init", "--manifest", location])).code).toBe(0);

    let stopped = false;
    const broken = await build(dir, location, (event) => {
      if (event.type === "step-started" && event.layer === "second" && !stopped) {
        stopped = true;
        cluster.stop();
      }
    });
    expect(stopped).toBe(true);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(
      /^error: cannot reach the lineage store postgres:\/\/postgres@127\.0\.0\.1:\d+\/fault\?schema=bake: .*\n {2}hint: check that PostgreSQL is running/m,
    );
    expect(broken.stderr).not.toMatch(/\n\s+at /);

    cluster.start();
    const manifest = await openManifest(location, { create: true, env: {} });
    expect(manifest.records().filter((record) => record.kind === "image")).toEqual([]);
    expect(manifest.records().map((record) => record.layer?.name)).toEqual(["first"]);

    const started: string[] = [];
    const again = await build(dir, location, (event) => {
      if (event.type === "step-started") started.push(event.layer as string);
    });
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(started).toEqual(["second"]);
    await manifest.reload();
    expect(manifest.resolve("fault").build).toBe(1);
    expect((await bake(["fsck", "--manifest", location])).code).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  }, 240_000);
});
