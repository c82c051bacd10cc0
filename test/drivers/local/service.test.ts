// Local verify boots the image: its entrypoint/cmd runs as a service in a sandbox with its own network namespace,
// and http checks are sent from inside that namespace. Run through the compiled CLI, as a user would.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, repo, runBake } from "../../helpers/compiled-cli.js";
import { makeBusyboxRootfs } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "bake-service-"));
const store = join(work, "store");
const env = { CI: "true", NO_COLOR: "1", BAKE_STORE: store, BAKE_MANIFEST: join(work, "lineage.jsonl") };
const SERVICE = ["httpd", "-f", "-p", "8080", "-h", "/www"];

beforeAll(async () => {
  makeBusyboxRootfs(join(work, "rootfs"));
  mkdirSync(join(work, "www"));
  writeFileSync(join(work, "www/health"), "healthy\n");
  await ensureBuilt();
}, 300_000);

function recipe(
  name: string,
  options: { cmd?: string[]; url?: string; network?: string; extraChecks?: string[] },
): string {
  const file = join(work, `${name}.yaml`);
  const lines = [
    "apiVersion: bake/v1",
    `name: ${name}`,
    "from: dir:./rootfs",
    `target: { driver: local, network: ${options.network ?? "none"} }`,
    "layers:",
    "  - name: site",
    "    steps:",
    "      - copy: { from: www/, to: /www/ }",
    ...(options.cmd ? ["config:", `  cmd: ${JSON.stringify(options.cmd)}`, "  stopSignal: SIGTERM"] : []),
    "verify:",
    `  - http: { url: "${options.url ?? "http://127.0.0.1:8080/health"}", status: 200, bodyContains: healthy }`,
    "    retries: 8",
    "    interval: 250ms",
    "    timeout: 2s",
    ...(options.extraChecks ?? []),
  ];
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

// Processes still running the service's command line, anywhere on the machine.
function serviceProcesses(argv: readonly string[]): number[] {
  const wanted = `${argv.join("\0")}\0`;
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8") === wanted) found.push(Number(pid));
    } catch {}
  }
  return found;
}

function leftovers(): string[] {
  const runs = join(store, "runs");
  let entries: string[] = [];
  try {
    entries = readdirSync(runs);
  } catch {}
  return entries;
}

describe("local verify boots the image's service", () => {
  test("passes an http check that the image's own httpd answers on /health", async () => {
    const result = await runBake(["build", recipe("svc-ok", { cmd: SERVICE })], { cwd: work, env });
    expect(result.stderr + result.stdout).toContain("starting the image's service");
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toMatch(/verify\s+1\/1 checks passed/);
    expect(serviceProcesses(SERVICE)).toEqual([]);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(store);
    expect(leftovers()).toEqual([]);
  }, 120_000);

  test("fails when the service does not start, and shows what the service wrote", async () => {
    const broken = ["sh", "-c", "echo 'httpd: cannot read /etc/httpd-missing.conf' >&2; exit 3"];
    const result = await runBake(["build", recipe("svc-broken", { cmd: broken })], { cwd: work, env });
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(1);
    expect(output).toContain("the image's service exited with code 3");
    expect(output).toContain("httpd: cannot read /etc/httpd-missing.conf");
    expect(leftovers()).toEqual([]);
  }, 120_000);

  test("never lets a service on the build machine answer for the image", async () => {
    let hits = 0;
    const server = createServer((_request, response) => {
      hits += 1;
      response.writeHead(200).end("healthy\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      // The image serves on 8080; the check asks the port only the host's server listens on, with the host network.
      const file = recipe("svc-host-port", {
        cmd: SERVICE,
        url: `http://127.0.0.1:${port}/health`,
        network: "host",
      });
      const result = await runBake(["build", file], { cwd: work, env });
      const output = result.stdout + result.stderr;
      expect(result.code, output).toBe(1);
      expect(output).toMatch(/ECONNREFUSED/);
      expect(hits).toBe(0);
      expect(serviceProcesses(SERVICE)).toEqual([]);
    } finally {
      server.close();
    }
  }, 120_000);

  test("runs run checks in the service's network: they reach the image's service and never the build machine's", async () => {
    let hits = 0;
    const server = createServer((_request, response) => {
      hits += 1;
      response.writeHead(200).end("healthy\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const file = recipe("svc-run-checks", {
        cmd: SERVICE,
        network: "host",
        extraChecks: [
          "  - name: reaches the image's service",
          "    run: wget -qO- http://127.0.0.1:8080/health | grep -q healthy",
          "    retries: 8",
          "    interval: 250ms",
          "  - name: cannot reach the build machine",
          `    run: "! wget -qO- -T 2 http://127.0.0.1:${port}/health"`,
        ],
      });
      const result = await runBake(["build", file], { cwd: work, env });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/verify\s+3\/3 checks passed/);
      expect(hits).toBe(0);
      expect(serviceProcesses(SERVICE)).toEqual([]);
    } finally {
      server.close();
    }
  }, 120_000);

  test("stops the service with its stop signal: one that handles it exits at once, without the 10 s grace", async () => {
    const file = join(work, "svc-stop.yaml");
    writeFileSync(
      file,
      [
        "apiVersion: bake/v1",
        "name: svc-stop",
        "from: dir:./rootfs",
        "target: { network: none }",
        "layers:",
        "  - name: one",
        "    steps: [{ run: 'true' }]",
        "config:",
        `  cmd: [sh, -c, 'trap "exit 0" USR1; while :; do sleep 0.1; done']`,
        "  stopSignal: SIGUSR1",
        "verify:",
        "  - run: 'true'",
      ].join("\n"),
    );
    const result = await runBake(["build", file], { cwd: work, env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // Had the signal not arrived, bake would have waited the whole grace period before killing the service.
    expect(result.ms).toBeLessThan(9_000);
    expect(leftovers()).toEqual([]);
  }, 120_000);

  test("refuses an http check on an image without an entrypoint or cmd, saying why", async () => {
    const result = await runBake(["build", recipe("svc-none", {})], { cwd: work, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/has no entrypoint or cmd/);
    expect(result.stderr).toMatch(/config\.cmd/);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
  }, 120_000);
});

describe("examples/busybox-httpd", () => {
  test("makes its base with make-rootfs.sh, builds, and passes its http check against its own service", async () => {
    const copy = join(work, "example");
    cpSync(join(repo, "examples/busybox-httpd"), copy, { recursive: true });
    execFileSync(join(copy, "make-rootfs.sh"), { stdio: "ignore" });
    const result = await runBake(["build", "recipe.yaml"], {
      cwd: copy,
      env: { ...env, BAKE_MANIFEST: join(copy, "lineage.jsonl") },
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/verify\s+2\/2 checks passed/);
  }, 120_000);
});
