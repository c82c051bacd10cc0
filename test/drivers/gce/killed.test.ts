import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openManifest } from "../../../src/manifest/manifest.js";
import { FakeCompute } from "../../fakes/gce/server.js";
import { bakeBin, distIsStale, ensureBuilt } from "../../helpers/compiled-cli.js";
import { GceProject } from "./project.js";

const SLOW_RECIPE = `apiVersion: bake/v1
name: slow
from: gce:projects/debian-cloud/global/images/family/debian-12
target: { driver: gce, project: bake-test, zone: us-central1-a }
layers:
  - name: wait
    steps:
      - run: echo started; sleep 40; echo never
`;

let fake: FakeCompute;
let project: GceProject;

// Signals must reach a real bake process, so this file runs the compiled CLI (built when stale).
beforeAll(async () => {
  await ensureBuilt();
  expect(await distIsStale()).toBe(false);
  fake = await FakeCompute.start();
  project = await GceProject.create();
  await project.write("slow.yaml", SLOW_RECIPE);
}, 300_000);
afterAll(async () => {
  await fake?.close();
  await project?.remove();
});

function spawnBuild(recipe = "slow.yaml"): {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
} {
  const child = spawn(process.execPath, [bakeBin, "build", recipe], {
    cwd: project.dir,
    env: project.env(fake),
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.resume();
  child.stderr?.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("exit", (code, signal) => done({ code, signal })),
  );
  return { child, exited };
}

async function waitForRunningStep(): Promise<void> {
  await fake.waitFor(
    () => [...fake.instances.values()].some((i) => i.serial.includes("startup-script: started")),
    60_000,
  );
}

// Records of the slow lineage: what a killed build must never register.
async function imageRecords(): Promise<number> {
  const manifest = await openManifest(project.env(fake).BAKE_MANIFEST as string, { mustExist: false });
  return manifest.records().filter((record) => record.lineage === "slow").length;
}

describe("the compiled CLI", () => {
  test("exits by itself after a gce build: no open connection or timer keeps it alive", async () => {
    await project.write(
      "quick.yaml",
      SLOW_RECIPE.replace("name: slow", "name: quick").replace("sleep 40; echo never", "true"),
    );
    const { exited } = spawnBuild("quick.yaml");
    const result = await Promise.race([
      exited,
      new Promise<"hung">((done) => setTimeout(() => done("hung"), 60_000)),
    ]);
    expect(result).toEqual({ code: 0, signal: null });
    expect(fake.live()).toMatchObject({ instances: 0, disks: 0 });
  }, 90_000);
});

describe("a bake process that dies mid-build", () => {
  test("SIGINT deletes the builder and its disk, registers nothing and exits 130", async () => {
    const { child, exited } = spawnBuild();
    await waitForRunningStep();
    child.kill("SIGINT");
    const { code } = await exited;
    expect(code).toBe(130);
    expect(fake.live()).toMatchObject({ instances: 0, disks: 0 });
    expect(await imageRecords()).toBe(0);
  }, 90_000);

  test("SIGKILL leaves labelled resources with a DELETE safety net, which bake gc removes", async () => {
    const { child, exited } = spawnBuild();
    await waitForRunningStep();
    child.kill("SIGKILL");
    expect((await exited).signal).toBe("SIGKILL");
    expect(await imageRecords()).toBe(0);
    const [leftover] = [...fake.instances.values()];
    expect(leftover?.labels["bake-run"]).toMatch(/^bake-/);
    expect(leftover?.scheduling).toMatchObject({ instanceTerminationAction: "DELETE" });
    expect(fake.live()).toMatchObject({ instances: 1, disks: 1 });

    const young = await project.bake(fake, ["gc", "--target", "gce", "--older-than", "1h"]);
    expect(young.stdout).toContain("removed 0 instances and 0 disks");
    const result = await project.bake(fake, ["gc", "--target", "gce", "--older-than", "0s"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`instance ${leftover?.name}`);
    expect(fake.live()).toMatchObject({ instances: 0, disks: 0 });
  }, 90_000);
});
