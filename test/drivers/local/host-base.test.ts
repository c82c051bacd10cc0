import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { main } from "../../../src/cli/main.js";
import { createDriver } from "../../../src/drivers/local/index.js";
import { Store } from "../../../src/drivers/local/store.js";
import { check, layer, plan, recordingReporter, run } from "./helpers.js";

test("a host base shows the machine's OS read-only and hides home directories, /tmp, /work and the project", async () => {
  const work = mkdtempSync(join(tmpdir(), "bake-host-"));
  writeFileSync(join(work, "project-secret.txt"), "do not leak\n");
  const secretInTmp = join(tmpdir(), `bake-host-visible-${process.pid}`);
  writeFileSync(secretInTmp, "host tmp\n");
  const env = { BAKE_STORE: join(work, "store") };
  const ctx = { cwd: work, env, signal: new AbortController().signal, reporter: recordingReporter() };
  const driver = createDriver();
  const base = await driver.resolve({ kind: "external", ref: "host", scheme: "host", location: "" }, ctx);
  expect(base.details?.portable).toBe("false");
  expect(base.warnings?.join(" ")).toMatch(/not portable/);
  const script = [
    "set -e",
    "test -x /usr/bin/env",
    "test ! -e /work && test ! -e /home && test ! -e /root && test ! -e /srv",
    `test ! -e ${secretInTmp} && test -z "$(ls -A /tmp)"`,
    `test ! -e ${join(work, "project-secret.txt")}`,
    "if touch /etc/bake-was-here 2>/dev/null; then echo /etc is writable; exit 1; fi",
    "if touch /usr/bake-was-here 2>/dev/null; then echo /usr is writable; exit 1; fi",
    "mkdir -p /opt/probe && grep -h ^ID= /etc/os-release > /opt/probe/os",
  ].join("\n");
  const p = plan({ root: work, layers: [layer("probe", [run(script)])] });
  const reporter = recordingReporter();
  const artifact = await driver
    .bake({
      ...ctx,
      reporter,
      plan: p,
      parent: base,
      layer: p.layers[0]!,
      layerIndex: 0,
      runId: "host",
      secrets: {},
    })
    .catch((error: Error) => {
      const output = reporter.events.flatMap((event) => (event.type === "output" ? [event.line] : []));
      throw new Error(`${error.message}\n${output.join("\n")}`);
    });
  const verify = await driver.verify({
    ...ctx,
    plan: p,
    image: artifact,
    runId: "host",
    secrets: {},
    checks: [check({ kind: "run", script: "grep -q ^ID= /opt/probe/os && test -x /usr/bin/env", env: {} })],
  });
  expect(verify.ok).toBe(true);

  const store = await Store.open(env.BAKE_STORE);
  const image = await store.requireImage(artifact.id);
  expect(image.config.config?.Labels?.["dev.bake.base.portable"]).toBe("false");
  expect(image.manifest.annotations?.["dev.bake.base.portable"]).toBe("false");
  const stderr: string[] = [];
  const code = await main(["export", artifact.id, "-o", join(work, "host.tar")], {
    cwd: work,
    env,
    stdout: { write: () => true },
    stderr: { write: (text: string) => stderr.push(text) },
  });
  expect(code).toBe(0);
  expect(stderr.join("")).toMatch(/not portable/);
});
