import { execFileSync, spawnSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.js";
import { captureIO } from "../../helpers/capture-io.js";
import { ensureBaseImage, havePackerAndDocker } from "./tools.js";

// Real Packer and a real dockerd, offline: CI installs both (.ci/run); elsewhere the suite is skipped without them.
const enabled = havePackerAndDocker() || Boolean(process.env.CI);
const fixture = path.resolve(import.meta.dirname, "../../fixtures/packer/config");
let dir: string;
const images: string[] = [];

beforeAll(async () => {
  if (!enabled) return;
  ensureBaseImage();
  dir = await mkdtemp(path.join(tmpdir(), "bake-packer-config-"));
  await cp(fixture, dir, { recursive: true });
});

afterAll(async () => {
  if (!enabled) return;
  if (images.length > 0) spawnSync("docker", ["rmi", "-f", ...new Set(images)], { stdio: "ignore" });
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!enabled)("config: with target packer and the docker builder", () => {
  it("commits the recipe's runtime config into the image, over the parent's", async () => {
    const run = captureIO({ cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: "1" } });
    const code = await main(["build", "recipe.yaml", "--manifest", "bake.lineage.jsonl"], run.io);
    expect({ code, stderr: run.stderr() }).toMatchObject({ code: 0 });
    expect(run.stderr()).toContain("config.stopSignal: docker commit cannot set a stop signal");
    const lines = (await readFile(path.join(dir, "bake.lineage.jsonl"), "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { kind?: string; artifact?: string });
    images.push(...lines.flatMap((line) => (line.artifact ? [line.artifact] : [])));
    const artifact = lines.find((line) => line.kind === "image")?.artifact as string;
    const config = JSON.parse(
      execFileSync("docker", ["image", "inspect", "--format", "{{json .Config}}", artifact], {
        encoding: "utf8",
      }),
    ) as Record<string, unknown>;
    expect(config).toMatchObject({
      Entrypoint: ["httpd", "-f"],
      WorkingDir: "/www",
      User: "web",
      ExposedPorts: { "8080/tcp": {} },
      Labels: { "org.example.team": "web team" },
    });
    // A new entrypoint resets the parent's cmd (["/bin/sh"]), as in a Dockerfile.
    expect(config.Cmd ?? []).toEqual([]);
    // Values are taken literally: quotes and $ survive docker's parsing.
    expect(config.Env).toEqual(expect.arrayContaining(['APP_MODE=blue "green" $HOME', "SECOND=2"]));
  }, 600_000);
});
