import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuildEvent } from "../../../src/drivers/events.js";
import { createDriver } from "../../../src/drivers/packer/index.js";
import { InterruptedError } from "../../../src/errors.js";
import { planRecipe } from "../../../src/plan/plan-recipe.js";
import { BASE_IMAGE, containersNamed, ensureBaseImage, havePackerAndDocker } from "./tools.js";

const enabled = havePackerAndDocker() || Boolean(process.env.CI);
const MARKER = "bake-interrupt-marker-29";

let dir: string;
beforeAll(async () => {
  if (!enabled) return;
  ensureBaseImage();
  dir = await mkdtemp(path.join(tmpdir(), "bake-packer-interrupt-"));
  await writeFile(
    path.join(dir, "recipe.yaml"),
    [
      "apiVersion: bake/v1",
      "name: packer-slow",
      'version: "1"',
      `from: docker://${BASE_IMAGE}`,
      "target: { driver: packer, builder: docker }",
      "layers:",
      "  - name: slow",
      "    steps:",
      `      - run: echo ${MARKER}; sleep 120; echo never`,
      "",
    ].join("\n"),
  );
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

// Packer processes still running a template of this run (the template's directory is named after the run).
async function packerProcesses(runId: string): Promise<number> {
  let count = 0;
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    const words = cmdline.split("\0");
    if (
      words.some((word) => word.endsWith("packer")) &&
      words.includes("build") &&
      cmdline.includes(`bake-packer-${runId}-`)
    ) {
      count++;
    }
  }
  return count;
}

describe.skipIf(!enabled)("interrupting a packer layer build", () => {
  it("forwards the abort to Packer, waits for its cleanup, and leaves no container or process", async () => {
    const { plan, secrets } = await planRecipe("recipe.yaml", { cwd: dir, env: {} });
    const driver = createDriver();
    const controller = new AbortController();
    const events: BuildEvent[] = [];
    let abortedAt = 0;
    let during: number | undefined;
    const runId = `interrupt-${process.pid}`;
    const reporter = {
      emit(event: BuildEvent) {
        events.push(event);
        if (event.type === "output" && event.line.includes(MARKER) && during === undefined) {
          during = -1;
          // Count Packer's processes while the step runs (the check below must be able to see them), then abort.
          void packerProcesses(runId).then((count) => {
            during = count;
            abortedAt = Date.now();
            controller.abort(new InterruptedError("interrupted by SIGINT"));
          });
        }
      },
      close: async () => {},
    };
    const ctx = { cwd: dir, env: process.env, signal: controller.signal, reporter };
    if (plan.parent.kind !== "external") throw new Error("the fixture's parent is external");
    const parent = await driver.resolve(plan.parent, ctx);
    const build = driver.bake({
      ...ctx,
      plan,
      parent,
      layer: plan.layers[0] as (typeof plan.layers)[number],
      layerIndex: 0,
      runId,
      secrets,
    });
    await expect(build).rejects.toBeInstanceOf(InterruptedError);
    expect(abortedAt).toBeGreaterThan(0);
    // Packer stopped the step (it sleeps for 120 s) and cleaned up, well before the step would have ended.
    expect(Date.now() - abortedAt).toBeLessThan(60_000);
    const notes = events.flatMap((event) => (event.type === "note" ? [event.message] : []));
    expect(notes.some((message) => /Killing the container|Cancelling|cancel/i.test(message))).toBe(true);
    expect(events.some((event) => event.type === "output" && event.line.includes("never"))).toBe(false);
    expect(containersNamed(`bake-${runId}-`)).toEqual([]);
    expect(during).toBeGreaterThan(0);
    expect(await packerProcesses(runId)).toBe(0);
  }, 200_000);
});
