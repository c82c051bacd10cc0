import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { createDriver } from "../../../src/drivers/local/index.js";
import { check, layer, makeBusyboxRootfs, plan, recordingReporter, run } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "bake-driver-"));
const rootfs = makeBusyboxRootfs(join(work, "rootfs"));
const store = join(work, "store");
const env = { BAKE_STORE: store };

function ctx() {
  return { cwd: work, env, signal: new AbortController().signal, reporter: recordingReporter() };
}

describe("local driver", () => {
  test("bakes two layers on a dir base and verifies the result in a fresh sandbox", async () => {
    const driver = createDriver();
    expect(driver.prepare({ driver: "local", options: {} }).errors).toEqual([]);
    const base = await driver.resolve(
      { kind: "external", ref: "dir:./rootfs", scheme: "dir", location: rootfs },
      ctx(),
    );
    expect(base.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const p = plan({
      root: work,
      layers: [
        layer("runtime", [run("echo runtime > /etc/runtime; rm /etc/base-release; echo out; echo err >&2")]),
        layer("app", [
          run('mkdir -p /opt/app && printf %s "$GREETING" > /opt/app/greeting', {
            GREETING: "$(touch /tmp/owned)",
          }),
        ]),
      ],
    });
    const reporter = recordingReporter();
    const first = await driver.bake({
      ...ctx(),
      reporter,
      plan: p,
      parent: base,
      layer: p.layers[0]!,
      layerIndex: 0,
      runId: "r1",
      secrets: {},
    });
    const second = await driver.bake({
      ...ctx(),
      plan: p,
      parent: first,
      layer: p.layers[1]!,
      layerIndex: 1,
      runId: "r1",
      secrets: {},
    });
    expect(
      reporter.events.filter((e) => e.type === "output").map((e) => (e as { line: string }).line),
    ).toEqual(["out", "err"]);
    const verify = await driver.verify({
      ...ctx(),
      plan: p,
      image: second,
      runId: "r1",
      secrets: {},
      checks: [
        check({ kind: "run", script: "test \"$(cat /opt/app/greeting)\" = '$(touch /tmp/owned)'", env: {} }),
        check({ kind: "file", path: "/etc/base-release", exists: false }),
        check({ kind: "file", path: "/etc/runtime", exists: true, contains: "runtime" }),
        check({ kind: "run", script: "test ! -e /tmp/owned && test ! -e /owned", env: {} }),
      ],
    });
    expect(verify.checks.map((c) => [c.name, c.ok, c.message])).toEqual([
      ["run", true, undefined],
      ["file", true, undefined],
      ["file", true, undefined],
      ["run", true, undefined],
    ]);
    expect(await driver.inspect(second.id, ctx())).toMatchObject({ id: second.id });
    expect(readdirSync(join(store, "runs"))).toEqual([]);
  });
});

afterAll(() => {
  expect(existsSync(work)).toBe(true);
});
