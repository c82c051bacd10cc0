import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import type { FakeImage } from "../fakes/gce/resources.js";
import { FleetFixture } from "./fleet-fixture.js";

let fixture: FleetFixture | undefined;
let server: Server | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

const ROLLOUT = ["rollout", "--target", "gce", "--group", "web", "--zone", "us-central1-a"];

/**
 * Stands in for the service of the instances booted from one image: a real HTTP server on a loopback port, and a
 * fake whose instances of that image have 127.0.0.1 as their internal address. Every request is counted.
 */
async function serveNewImage(answer: { status: number; body: string }): Promise<{
  port: number;
  requests: string[];
  f: FleetFixture;
}> {
  const requests: string[] = [];
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    res.writeHead(req.url === "/health" ? answer.status : 404, { "content-type": "text/plain" });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  let served: string | undefined;
  fixture = await FleetFixture.create({
    instanceAddress: ({ image }) => (image.name === served ? "127.0.0.1" : undefined),
  });
  served = (fixture.images[1] as FakeImage).name;
  return { port, requests, f: fixture };
}

// A gce recipe for the fake's project and zone that names one rollout check on the port served.
async function writeRecipe(port: number): Promise<string> {
  const file = join((fixture as FleetFixture).dir, "web.bake.yaml");
  await writeFile(
    file,
    [
      "apiVersion: bake/v1",
      "name: web",
      "from: scratch",
      "target: { driver: gce, project: bake-test, zone: us-central1-a }",
      "layers:",
      "  - name: app",
      "    steps:",
      "      - run: echo hi",
      "rollout:",
      "  checks:",
      "    - name: app answers",
      `      http: { port: ${port}, path: /health, bodyContains: ok }`,
      "      interval: 10ms",
      "      timeout: 2s",
      "",
    ].join("\n"),
  );
  return file;
}

describe("bake rollout with the recipe's rollout.checks", () => {
  test("counts a new instance as ready only after its check passes against its internal address, and succeeds", async () => {
    const { port, requests, f } = await serveNewImage({ status: 200, body: "ok\n" });
    const recipe = await writeRecipe(port);
    const result = await f.bake([
      ...ROLLOUT,
      "web#2",
      "--recipe",
      recipe,
      "--max-surge",
      "3",
      "--max-unavailable",
      "0",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("20/20 instances on the new record and healthy");
    // Every one of the 20 new instances was asked, and only on the path the check names.
    expect(requests.length).toBeGreaterThanOrEqual(20);
    expect(new Set(requests)).toEqual(new Set(["/health"]));
    // Progress shows how many instances passed the checks.
    expect(result.stdout).toMatch(/20\/20 replaced \(20 instances, 20 healthy, 20 passed rollout checks\)/);
    expect(Object.values(f.templates())).toEqual([20]);
  }, 60_000);

  test("rolls back when the new image's service answers 500, exits 1, and names the check, instance and status", async () => {
    const { port, requests, f } = await serveNewImage({ status: 500, body: "broken\n" });
    const recipe = await writeRecipe(port);
    const result = await f.bake([
      ...ROLLOUT,
      "web#2",
      "--recipe",
      recipe,
      "--max-surge",
      "3",
      "--max-unavailable",
      "0",
      "--timeout",
      "60s",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /failed: rollout check "app answers" failed on instance web-[0-9a-f]{4} of bake-web-2-[0-9a-f]+ \(GET http:\/\/127\.0\.0\.1:\d+\/health\): answered 500, expected 200, 3 times in a row/,
    );
    expect(result.stderr).toContain("rolled back: web runs web-template-1 again");
    // Each failed attempt was shown as it happened.
    expect(result.stdout).toMatch(
      /rollout check "app answers" on web-[0-9a-f]{4}: .* answered 500, expected 200 \(1 of 3/,
    );
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(f.templates()).toEqual({ "web-template-1": 20 });
    expect(f.fake.liveTemplates()).toEqual(["web-template-1"]);
    expect(f.fake.live()).toMatchObject({ instances: 20, disks: 20 });
    await f.manifest.reload();
    const rollout = f.manifest.events().find((e) => e.event === "rollout");
    expect(rollout).toMatchObject({
      rollout: {
        result: "rolled-back",
        reason: expect.stringMatching(/rollout check "app answers".*answered 500/),
      },
    });
  }, 60_000);

  test("fails like a wrong answer when nothing listens on the check's port, and rolls back", async () => {
    // No server on the mapped port: the connection is refused, which fails like a wrong status.
    const { port, f } = await serveNewImage({ status: 200, body: "ok" });
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    const recipe = await writeRecipe(port);
    const result = await f.bake([...ROLLOUT, "web#2", "--recipe", recipe, "--timeout", "60s"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/rollout check "app answers" failed on instance .*: connection refused/);
    expect(f.templates()).toEqual({ "web-template-1": 20 });
  }, 60_000);
});
