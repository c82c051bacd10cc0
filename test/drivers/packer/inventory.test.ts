import { spawnSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.js";
import { captureIO } from "../../helpers/capture-io.js";
import { containersNamed, countingPacker, ensureBaseImage, havePackerAndDocker } from "./tools.js";

// Real Packer and a real dockerd, offline, as the other packer build tests.
const enabled = havePackerAndDocker() || Boolean(process.env.CI);
const fixture = path.resolve(import.meta.dirname, "../../fixtures/packer/inventory");

let dir: string;
const images: string[] = [];

beforeAll(async () => {
  if (!enabled) return;
  ensureBaseImage();
  dir = await mkdtemp(path.join(tmpdir(), "bake-packer-inventory-"));
  await cp(fixture, dir, { recursive: true });
});

afterAll(async () => {
  if (!enabled) return;
  if (images.length > 0) spawnSync("docker", ["rmi", "-f", ...new Set(images)], { stdio: "ignore" });
  await rm(dir, { recursive: true, force: true });
});

function capture() {
  return captureIO({ cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: "1" } });
}

interface Line {
  kind?: string;
  artifact?: string;
  runId?: string;
  details?: Record<string, string>;
}

async function records(): Promise<Line[]> {
  const text = await readFile(path.join(dir, "bake.lineage.jsonl"), "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line)
    .filter((line) => line.kind === "image" || line.kind === "layer");
}

describe.skipIf(!enabled)("the packer driver's inventory step", () => {
  it("records an SBOM of the whole image from the report the builder printed, and keeps the report out of the log", async () => {
    const run = capture();
    const code = await main(["build", "recipe.yaml", "--manifest", "bake.lineage.jsonl"], run.io);
    expect({ code, stderr: run.stderr() }).toMatchObject({ code: 0 });
    const all = await records();
    images.push(...all.map((record) => record.artifact as string));
    const image = all.find((record) => record.kind === "image");
    // openssl and libc6 from the first layer's status file, tzdata from the last layer's status.d; not `gone`.
    expect(image?.details).toMatchObject({
      packages: "3",
      sbom: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    // The report travels through Packer's output but never reaches the build log, nor does the script's name.
    expect(run.stdout() + run.stderr()).not.toMatch(/bake-inventory|inventory\.sh/);
    expect(run.stdout()).toContain("app step done");
    expect(run.stdout()).toContain("inventory: 3 packages");

    const sbom = capture();
    expect(await main(["sbom", "packer-inventory", "--manifest", "bake.lineage.jsonl"], sbom.io)).toBe(0);
    const document = JSON.parse(sbom.stdout()) as {
      components: { name: string; version: string; purl?: string }[];
    };
    const packages = document.components.filter((c) => c.purl !== undefined);
    expect(packages.map((c) => [c.name, c.version, c.purl])).toEqual([
      ["libc6", "2.36-9+deb12u4", "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12"],
      ["openssl", "3.0.11-1~deb12u2", "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"],
      ["tzdata", "2024a-0+deb12u1", "pkg:deb/debian/tzdata@2024a-0+deb12u1?arch=all&distro=debian-12"],
    ]);
    // The inventory step changed nothing in the image: its script is gone and no report file was left.
    const left = spawnSync(
      "docker",
      ["run", "--rm", "--network=none", image?.artifact as string, "sh", "-c", "ls /tmp"],
      { encoding: "utf8" },
    );
    expect(left.stdout).not.toMatch(/inventory|script/);
  }, 600_000);

  it("takes the inventory on a throwaway builder when every layer came from the cache but the image is new", async () => {
    // Another check makes a new image record from the same cached layers: no layer build ran the inventory step.
    const recipe = (await readFile(path.join(dir, "recipe.yaml"), "utf8")).replace(
      "verify:\n",
      "verify:\n  - file: { path: /etc/os-release, contains: debian }\n",
    );
    await writeFile(path.join(dir, "recipe.yaml"), recipe);
    const log = path.join(dir, "packer-calls.log");
    const run = captureIO({
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CI: "1",
        BAKE_PACKER: await countingPacker(dir, log),
      },
    });
    const code = await main(["build", "recipe.yaml", "--manifest", "bake.lineage.jsonl"], run.io);
    expect({ code, stderr: run.stderr() }).toMatchObject({ code: 0 });
    const builds = (await readFile(log, "utf8")).split("\n").filter((line) => line.startsWith("build "));
    expect(builds.map((line) => path.basename(line.split(" ").at(-1) ?? ""))).toEqual([
      "verify.pkr.json",
      "inventory.pkr.json",
    ]);
    const latest = (await records()).filter((record) => record.kind === "image");
    expect(latest).toHaveLength(2);
    // The same packages of the same image give the same document, however they were taken.
    expect(latest[1]?.details).toMatchObject({ packages: "3", sbom: latest[0]?.details?.sbom });
    const sbom = captureIO({ cwd: dir, env: {} });
    expect(await main(["sbom", "packer-inventory", "--manifest", "bake.lineage.jsonl"], sbom.io)).toBe(0);
    expect(sbom.stdout()).toContain("pkg:deb/debian/tzdata@2024a-0+deb12u1?arch=all&distro=debian-12");
    expect(run.stdout() + run.stderr()).not.toMatch(/bake-inventory|inventory\.sh/);
    expect(containersNamed(`bake-${latest[1]?.runId}-`)).toEqual([]);
  }, 600_000);

  it("with --no-inventory, leaves the inventory step out of the last layer's build and records no inventory", async () => {
    // A Packer that keeps a copy of every template it is asked to build.
    const saved = await mkdtemp(path.join(tmpdir(), "bake-packer-templates-"));
    const wrapper = path.join(dir, "packer-saving");
    await writeFile(
      wrapper,
      `#!/bin/sh\nfor arg; do last="$arg"; done\ncase "$last" in *.pkr.json) cp "$last" '${saved}/' ;; esac\nexec packer "$@"\n`,
      { mode: 0o755 },
    );
    const run = captureIO({
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: "1", BAKE_PACKER: wrapper },
    });
    const code = await main(
      ["build", "recipe.yaml", "--no-cache", "--no-inventory", "--manifest", "bake.lineage.jsonl"],
      run.io,
    );
    expect({ code, stderr: run.stderr() }).toMatchObject({ code: 0 });
    const imageRecords = (await records()).filter((record) => record.kind === "image");
    const latest = imageRecords.at(-1);
    images.push(latest?.artifact as string);
    expect(latest?.details?.sbom).toBeUndefined();
    expect(latest?.details?.packages).toBeUndefined();
    expect(run.stdout()).not.toContain("inventory:");
    // The last layer's template has the recipe's steps and nothing after them.
    const last = JSON.parse(await readFile(path.join(saved, "02-app.pkr.json"), "utf8")) as {
      build: { provisioner: unknown[] };
    };
    expect(JSON.stringify(last.build.provisioner)).not.toMatch(/inventory/);
    expect(last.build.provisioner.length).toBeGreaterThan(0);
    await rm(saved, { recursive: true, force: true });
  }, 600_000);
});
