import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bakeBin, ensureBuilt } from "../helpers/compiled-cli.js";
import { Project } from "./project.js";

// A sleep length no other process on the machine uses, to find the step's processes in /proc.
const MARKER = "47.31";

let project: Project;

beforeAll(async () => {
  // The signal must reach a real `bake` process, so this file runs the compiled CLI (built when stale).
  await ensureBuilt();
  project = await Project.create();
  await project.write(
    "slow/recipe.yaml",
    `apiVersion: bake/v1
name: e2e-slow
from: host
layers:
  - name: fast
    steps:
      - run: mkdir -p /opt/fast
  - name: slow
    steps:
      - run: echo step-running; sleep ${MARKER}; echo never
verify:
  - run: "true"
`,
  );
}, 300_000);

afterAll(async () => {
  await project?.remove();
});

function spawnBuild(): ChildProcess {
  return spawn(process.execPath, [bakeBin, "build", "slow/recipe.yaml"], {
    cwd: project.dir,
    env: { PATH: process.env.PATH, CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

async function waitForOutput(child: ChildProcess, text: string): Promise<void> {
  let seen = "";
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "${text}" in: ${seen}`)), 60_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        done();
      }
    });
  });
}

async function processesRunning(marker: string): Promise<number> {
  let count = 0;
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.split("\0").includes(marker)) count++;
  }
  return count;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((done) => setTimeout(done, 50));
  }
  return false;
}

describe("interrupting bake build", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`exits 130 on ${signal} mid-step, registers nothing and leaves nothing behind`, async () => {
      const child = spawnBuild();
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
      try {
        await waitForOutput(child, "step-running");
        expect(await waitFor(async () => (await processesRunning(MARKER)) > 0)).toBe(true);
      } finally {
        child.kill(signal);
      }
      const sentAt = Date.now();
      const code = await exited;

      expect(code).toBe(130);
      expect(Date.now() - sentAt).toBeLessThan(10_000);
      expect(stderr).toContain(`interrupted by ${signal}`);
      expect(stderr).not.toContain("    at ");
      expect(await project.images("e2e-slow")).toEqual([]);
      expect(await processesRunning(MARKER)).toBe(0);
      expect(await project.leftovers()).toEqual({ temps: [], runs: [], mounts: [] });
    });
  }
});
