import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import type { Artifact } from "../../../src/drivers/driver.js";
import { createDriver } from "../../../src/drivers/local/index.js";
import type { PlannedLayer } from "../../../src/plan/types.js";
import { check, layer, makeBusyboxRootfs, plan, recordingReporter, run } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "bake-verify-"));
const rootfs = makeBusyboxRootfs(join(work, "rootfs"));
const env = { BAKE_STORE: join(work, "store") };
let image: Artifact = { id: "", driver: "local" };
let served: Artifact = { id: "", driver: "local" };
const url = "http://127.0.0.1:8080";

beforeAll(async () => {
  const ctx = { cwd: work, env, signal: new AbortController().signal, reporter: recordingReporter() };
  const driver = createDriver();
  const base = await driver.resolve(
    { kind: "external", ref: "dir:./rootfs", scheme: "dir", location: rootfs },
    ctx,
  );
  image = { id: base.id, driver: "local" };
  // An image whose service comes up late and answers /flaky only from its third request, to exercise retries.
  mkdirSync(join(work, "www"));
  writeFileSync(join(work, "www/x"), "all good\n");
  const p = plan({
    root: work,
    layers: [
      layer("www", [run("mkdir -p /www && echo 'all good' > /www/x && echo 'all good' > /www/flaky")]),
    ],
  });
  p.config = { cmd: ["sh", "-c", "sleep 1; exec httpd -f -p 8080 -h /www"] };
  served = await driver.bake({
    ...ctx,
    plan: p,
    parent: base,
    layer: p.layers[0] as PlannedLayer,
    layerIndex: 0,
    runId: "v0",
    secrets: {},
  });
});

function verify(
  checks: Parameters<typeof check>[0][],
  options: Record<string, unknown> = {},
  target: Artifact = image,
) {
  const reporter = recordingReporter();
  const p = plan({ root: work, layers: [], options });
  return createDriver()
    .verify({
      cwd: work,
      env,
      signal: new AbortController().signal,
      reporter,
      plan: p,
      image: target,
      runId: "v",
      secrets: {},
      checks: checks.map(check),
    })
    .then((result) => ({ result, reporter }));
}

describe("verify", () => {
  test("retries an http check at its interval until the image's service answers, and reports every attempt", async () => {
    const { result, reporter } = await verify(
      [
        {
          kind: "http",
          url: `${url}/flaky`,
          status: 200,
          bodyContains: "good",
          retries: 40,
          intervalMs: 100,
        },
      ],
      {},
      served,
    );
    expect(result.checks[0]).toMatchObject({ ok: true });
    const attempts = reporter.events.filter((event) => event.type === "check-attempt");
    expect(attempts.length).toBeGreaterThan(1);
    expect(attempts.map((event) => (event as { ok: boolean }).ok).at(-1)).toBe(true);
    expect(attempts.slice(0, -1).every((event) => (event as { ok: boolean }).ok === false)).toBe(true);
  });

  test("fails checks with a message that says what was wrong", async () => {
    const { result } = await verify(
      [
        { kind: "file", path: "/bin/busybox", exists: true, mode: 0o700 },
        { kind: "file", path: "/etc/passwd", exists: true, contains: "nobody-here-xyz" },
        { kind: "run", script: "exit 3", env: {}, retries: 1, intervalMs: 10 },
        { kind: "run", script: "sleep 20", env: {}, timeoutMs: 300 },
        // Last, so the late service is up: a wrong status is retried, then reported with what came back.
        { kind: "http", url: `${url}/x`, status: 204, retries: 3, intervalMs: 500 },
      ],
      {},
      served,
    );
    expect(result.ok).toBe(false);
    expect(result.checks.map((c) => [c.ok, c.attempts, c.message])).toEqual([
      [false, 1, "/bin/busybox has mode 0755, expected 0700"],
      [false, 1, "/etc/passwd does not contain the expected text"],
      [false, 2, "exited with code 3"],
      [false, 1, "timed out after 300ms"],
      [false, 4, `GET ${url}/x returned 200, expected 204`],
    ]);
  });

  test("refuses an http check on an image that has no entrypoint or cmd", async () => {
    await expect(verify([{ kind: "http", url, status: 200 }])).rejects.toMatchObject({
      code: "verify-http-without-service",
    });
  });
});
