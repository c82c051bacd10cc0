import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Reporter } from "../../../src/drivers/events.js";
import { createDriver } from "../../../src/drivers/packer/index.js";
import { BASE_IMAGE, ensureBaseImage, havePackerAndDocker } from "./tools.js";

// Real Packer and dockerd, seen through logging wrappers that run the real binaries: the wrappers say when each
// lookup started, so the test can tell that prefetch() started them and resolve() reused the parent's.

const work = mkdtempSync(join(tmpdir(), "bake-prefetch-"));
const log = join(work, "calls.log");

function wrapper(name: string): string {
  const real = execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
  const file = join(work, "bin", name);
  execFileSync("mkdir", ["-p", join(work, "bin")]);
  writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  return file;
}

const calls = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out; calls so far: ${calls().join(" | ")}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

describe.runIf(havePackerAndDocker())("packer prefetch", () => {
  beforeAll(() => {
    ensureBaseImage();
    wrapper("packer");
    wrapper("docker");
  }, 120_000);

  it("starts the version check and the parent's inspect before resolve, which reuses the inspect", async () => {
    const env = { PATH: `${join(work, "bin")}:${process.env.PATH ?? ""}`, HOME: process.env.HOME ?? "/root" };
    const driver = createDriver();
    const parent = {
      kind: "external" as const,
      ref: `docker://${BASE_IMAGE}`,
      scheme: "docker" as const,
      location: BASE_IMAGE,
    };
    driver.prefetch?.({
      target: { driver: "packer", options: { builder: "docker" } },
      parent,
      cwd: work,
      env,
    });
    await until(
      () => calls().includes("packer version") && calls().some((c) => c.startsWith("docker image")),
    );
    const reporter: Reporter = { emit: () => undefined, close: async () => undefined };
    const resolved = await driver.resolve(parent, {
      cwd: work,
      env,
      signal: new AbortController().signal,
      reporter,
    });
    expect(resolved.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const inspects = calls().filter((call) => call.startsWith("docker image inspect"));
    expect(inspects).toEqual([`docker image inspect --format {{json .}} ${BASE_IMAGE}`]);
    expect(calls().filter((call) => call === "packer version")).toHaveLength(1);
  }, 120_000);
});
