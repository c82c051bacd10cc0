import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Artifact } from "../../../src/drivers/driver.js";
import { createDriver } from "../../../src/drivers/local/index.js";
import { check, makeBusyboxRootfs, plan, recordingReporter } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "bake-verify-"));
const rootfs = makeBusyboxRootfs(join(work, "rootfs"));
const env = { BAKE_STORE: join(work, "store") };
let image: Artifact = { id: "", driver: "local" };
let url: string;
let hits = 0;
const server = createServer((request, response) => {
  hits += 1;
  // Healthy from the third request on, to exercise retries.
  if (request.url === "/flaky" && hits < 3) response.writeHead(503).end("starting");
  else response.writeHead(200).end("all good");
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ctx = { cwd: work, env, signal: new AbortController().signal, reporter: recordingReporter() };
  const base = await createDriver().resolve(
    { kind: "external", ref: "dir:./rootfs", scheme: "dir", location: rootfs },
    ctx,
  );
  image = { id: base.id, driver: "local" };
});

afterAll(() => {
  server.close();
});

function verify(checks: Parameters<typeof check>[0][], options: Record<string, unknown> = {}) {
  const reporter = recordingReporter();
  const p = plan({ root: work, layers: [], options });
  return createDriver()
    .verify({
      cwd: work,
      env,
      signal: new AbortController().signal,
      reporter,
      plan: p,
      image,
      runId: "v",
      secrets: {},
      checks: checks.map(check),
    })
    .then((result) => ({ result, reporter }));
}

describe("verify", () => {
  test("retries an http check at its interval until it passes, and reports every attempt", async () => {
    hits = 0;
    const { result, reporter } = await verify([
      { kind: "http", url: `${url}/flaky`, status: 200, bodyContains: "good", retries: 4, intervalMs: 50 },
    ]);
    expect(result.checks[0]).toMatchObject({ ok: true, attempts: 3 });
    const attempts = reporter.events.filter((event) => event.type === "check-attempt");
    expect(attempts.map((event) => (event as { ok: boolean }).ok)).toEqual([false, false, true]);
  });

  test("fails checks with a message that says what was wrong", async () => {
    const { result } = await verify([
      { kind: "http", url: `${url}/x`, status: 204 },
      { kind: "file", path: "/bin/busybox", exists: true, mode: 0o700 },
      { kind: "file", path: "/etc/passwd", exists: true, contains: "nobody-here-xyz" },
      { kind: "run", script: "exit 3", env: {}, retries: 1, intervalMs: 10 },
      { kind: "run", script: "sleep 20", env: {}, timeoutMs: 300 },
    ]);
    expect(result.ok).toBe(false);
    expect(result.checks.map((c) => [c.ok, c.attempts, c.message])).toEqual([
      [false, 1, `GET ${url}/x returned 200, expected 204`],
      [false, 1, "/bin/busybox has mode 0755, expected 0700"],
      [false, 1, "/etc/passwd does not contain the expected text"],
      [false, 2, "exited with code 3"],
      [false, 1, "timed out after 300ms"],
    ]);
  });

  test("says http checks need the host network when the target has network: none", async () => {
    const { result } = await verify([{ kind: "http", url, status: 200 }], { network: "none" });
    expect(result.checks[0]?.message).toMatch(/network: host/);
  });
});
