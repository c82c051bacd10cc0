import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import type { GroupMember } from "../../src/drivers/driver.js";
import { type CheckFailure, InstanceChecks } from "../../src/fleet/checks.js";
import type { PlannedRolloutCheck } from "../../src/plan/types.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

// A loopback service whose answer a test can change; it counts the requests it gets.
async function serve(answer: {
  status: number;
  body: string;
}): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  server = createServer((_req, res) => {
    hits += 1;
    res.writeHead(answer.status);
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, hits: () => hits };
}

const member = (server: string, address?: string): GroupMember =>
  ({
    server,
    template: "bake-web-2-abc",
    image: "projects/p/global/images/web-2#1",
    zone: "us-central1-a",
    status: "RUNNING",
    action: "NONE",
    health: "HEALTHY",
    ...(address ? { address } : {}),
  }) as GroupMember;

const check = (port: number, more: Partial<PlannedRolloutCheck> = {}): PlannedRolloutCheck => ({
  name: "app answers",
  kind: "http",
  port,
  path: "/health",
  status: 200,
  retries: 0,
  intervalMs: 0,
  timeoutMs: 2000,
  ...more,
});

describe("rollout checks on instances", () => {
  test("pass an instance once its GET answers as expected, and do not ask it again", async () => {
    const service = await serve({ status: 200, body: "all ok" });
    const checks = new InstanceChecks({
      checks: [check(service.port, { bodyContains: "ok" })],
      signal: new AbortController().signal,
    });
    expect(checks.passed("web-1")).toBe(false);
    expect(await checks.run([member("web-1", "127.0.0.1")], { now: 0 })).toBeUndefined();
    expect(checks.passed("web-1")).toBe(true);
    await checks.run([member("web-1", "127.0.0.1")], { now: 10 });
    expect(service.hits()).toBe(1);
  });

  test("fail after retries + 1 failures in a row, naming the check, the instance and what it answered", async () => {
    const service = await serve({ status: 200, body: "starting" });
    const checks = new InstanceChecks({
      checks: [check(service.port, { bodyContains: "ready", retries: 4 })],
      signal: new AbortController().signal,
    });
    const failures: CheckFailure[] = [];
    let reason: string | undefined;
    for (let poll = 0; poll < 5; poll++) {
      reason = await checks.run([member("web-1", "127.0.0.1")], {
        now: poll,
        onFailure: (f) => failures.push(f),
      });
      if (poll < 4) expect(reason).toBeUndefined();
    }
    expect(reason).toBe(
      `rollout check "app answers" failed on instance web-1 of bake-web-2-abc (GET http://127.0.0.1:${service.port}/health): answered 200 without "ready" in the body, 5 times in a row`,
    );
    expect(failures.map((f) => `${f.failures}/${f.limit}`)).toEqual(["1/5", "2/5", "3/5", "4/5", "5/5"]);
    expect(checks.passed("web-1")).toBe(false);
  });

  test("never fail before three attempts, wait the interval between attempts, and count an instance without an address as failing", async () => {
    const service = await serve({ status: 503, body: "" });
    const checks = new InstanceChecks({
      checks: [check(service.port, { intervalMs: 1000 })],
      signal: new AbortController().signal,
    });
    const web = member("web-1", "127.0.0.1");
    expect(await checks.run([web], { now: 0 })).toBeUndefined();
    expect(await checks.run([web], { now: 500 })).toBeUndefined();
    expect(service.hits()).toBe(1);
    expect(await checks.run([web], { now: 1000 })).toBeUndefined();
    expect(await checks.run([web], { now: 2000 })).toMatch(/answered 503, expected 200, 3 times in a row$/);
    const none = new InstanceChecks({ checks: [check(service.port)], signal: new AbortController().signal });
    let why: string | undefined;
    for (let poll = 0; poll < 3; poll++) why = await none.run([member("web-2")], { now: poll });
    expect(why).toMatch(/on instance web-2 .*: the instance has no internal address, 3 times in a row/);
  });
});
