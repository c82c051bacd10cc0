import { execFile, execFileSync } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { exportImage } from "../../../src/drivers/local/export-archive.js";
import { createDriver } from "../../../src/drivers/local/index.js";
import { Store } from "../../../src/drivers/local/store.js";
import { readTar } from "../../../src/drivers/local/tar-reader.js";
import { layer, makeBusyboxRootfs, plan, recordingReporter, run } from "./helpers.js";

const exec = promisify(execFile);

function dockerAvailable(): boolean {
  try {
    execFileSync("docker", ["info"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const hasDocker = dockerAvailable();
if (!hasDocker)
  console.warn("skipping docker load interop: `docker info` failed (start dockerd with .ci/start-dockerd)");

async function buildImage() {
  const work = mkdtempSync(join(tmpdir(), "bake-export-"));
  const rootfs = makeBusyboxRootfs(join(work, "rootfs"));
  const ctx = {
    cwd: work,
    env: { BAKE_STORE: join(work, "store") },
    signal: new AbortController().signal,
    reporter: recordingReporter(),
  };
  const driver = createDriver();
  const base = await driver.resolve(
    { kind: "external", ref: "dir:./rootfs", scheme: "dir", location: rootfs },
    ctx,
  );
  const marker = `baked-${process.pid}-${Date.now()}`;
  const p = plan({
    root: work,
    layers: [layer("app", [run(`mkdir -p /opt/app && echo ${marker} > /opt/app/marker`)])],
  });
  p.lineage = "export-test";
  p.version = `v${process.pid}`;
  const artifact = await driver.bake({
    ...ctx,
    plan: p,
    parent: base,
    layer: p.layers[0]!,
    layerIndex: 0,
    runId: "e1",
    secrets: {},
  });
  const store = await Store.open(join(work, "store"));
  return { work, store, image: await store.requireImage(artifact.id), marker };
}

async function names(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of readTar(createReadStream(file))) out.push(entry.header.name);
  return out;
}

describe("export", () => {
  test("writes an OCI archive with index.json, a Docker manifest.json and every blob", async () => {
    const { work, store, image } = await buildImage();
    const file = join(work, "image.tar");
    const result = await exportImage({ store, image, format: "oci-archive", file });
    expect(result.tag).toBe(`bake/export-test:v${process.pid}`);
    const entries = await names(file);
    expect(entries.slice(0, 3)).toEqual(["oci-layout", "index.json", "manifest.json"]);
    for (const digest of [
      image.id,
      image.manifest.config.digest,
      ...image.manifest.layers.map((l) => l.digest),
    ]) {
      expect(entries).toContain(`blobs/sha256/${digest.slice(7)}`);
    }
  });

  test.skipIf(!hasDocker)(
    "produces archives docker load accepts, a step's file is there in docker run, and docker save output is a usable base",
    async () => {
      const { work, store, image, marker } = await buildImage();
      for (const format of ["oci-archive", "docker-archive"] as const) {
        const file = join(work, `${format}.tar`);
        const result = await exportImage({ store, image, format, file });
        const loaded = await exec("docker", ["load", "-i", file], { timeout: 60_000 });
        expect(loaded.stdout).toContain(result.tag);
        const ran = await exec(
          "docker",
          ["run", "--rm", "--network=none", result.tag as string, "/bin/cat", "/opt/app/marker"],
          {
            timeout: 60_000,
          },
        );
        expect(ran.stdout.trim()).toBe(marker);
        await exec("docker", ["rmi", "-f", result.tag as string]).catch(() => {});
      }
      expect(readFileSync(join(work, "docker-archive.tar")).length).toBeGreaterThan(0);
    },
    180_000,
  );
});
