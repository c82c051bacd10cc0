import { existsSync } from "node:fs";
import { mkdtemp, readFile, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Marker, parseMarker } from "../../../src/drivers/gce/markers.js";
import {
  type GuestCheck,
  type GuestStep,
  layerStartupScript,
  METADATA_VALUE_LIMIT,
  scriptSize,
  verifyStartupScript,
} from "../../../src/drivers/gce/startup-script.js";
import { runInSandbox } from "../../../src/drivers/local/sandbox.js";
import { makeBaseRootfs } from "../../fakes/gce/rootfs.js";

const NONCE = "n0nce1";
let dir: string;
let rootfs: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bake-gce-script-"));
  rootfs = join(dir, "rootfs");
  await makeBaseRootfs(rootfs);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Runs a generated script as the fake guest does: in the local driver's sandbox, over a fresh upper dir.
async function boot(
  script: string,
): Promise<{ upper: string; markers: Marker[]; lines: string[]; exitCode: number }> {
  const upper = await mkdtemp(join(dir, "upper-"));
  const scriptDir = await mkdtemp(join(dir, "script-"));
  const { writeFile } = await import("node:fs/promises");
  await writeFile(join(scriptDir, "s"), script);
  const lines: string[] = [];
  const { exitCode } = await runInSandbox({
    lowerDirs: [rootfs],
    upperDir: upper,
    argv: ["/bin/sh", "/run/startup"],
    env: {},
    network: "none",
    binds: [{ source: join(scriptDir, "s"), target: "/run/startup", readonly: true }],
    signal: new AbortController().signal,
    onOutput: (_stream, line) => lines.push(line),
  });
  const markers = lines.map((line) => parseMarker(line, NONCE)).filter((m): m is Marker => m !== undefined);
  return { upper, markers, lines, exitCode };
}

const run = (script: string, env: Record<string, string> = {}): GuestStep => ({ kind: "run", script, env });

describe("the generated startup script, run in the local sandbox", () => {
  test("runs every step in order and reports each, then success", async () => {
    const script = layerStartupScript({
      title: "test layer",
      nonce: NONCE,
      steps: [run("echo one > /one"), run("cat /one > /two; echo hello from step two")],
    });
    const result = await boot(script);
    expect(result.markers).toEqual([
      { kind: "step-start", step: 1 },
      { kind: "step-end", step: 1, exitCode: 0 },
      { kind: "step-start", step: 2 },
      { kind: "step-end", step: 2, exitCode: 0 },
      { kind: "success" },
    ]);
    expect(result.lines).toContain("hello from step two");
    expect(await readFile(join(result.upper, "two"), "utf8")).toBe("one\n");
  });

  test("stops at the first failing step and reports its number and exit code", async () => {
    const script = layerStartupScript({
      title: "failing",
      nonce: NONCE,
      steps: [run("true"), run("echo about to fail; exit 3"), run("touch /never")],
    });
    const result = await boot(script);
    expect(result.markers.at(-1)).toEqual({ kind: "failure", step: 2, exitCode: 3, reason: "step" });
    expect(result.markers.some((m) => m.kind === "success")).toBe(false);
    expect(existsSync(join(result.upper, "never"))).toBe(false);
  });

  test("passes hostile variable values through unchanged and never executes them", async () => {
    const hostile = {
      SUBST: "$(touch /owned-subst)",
      TICKS: "`touch /owned-ticks`",
      QUOTES: `it's "quoted" '' \\'`,
      LINES: "line one\nline two; touch /owned-newline\n",
      SEMI: "'; touch /owned-semi; echo '",
    };
    const script = layerStartupScript({
      title: "hostile",
      nonce: NONCE,
      steps: [
        run(
          'for n in SUBST TICKS QUOTES LINES SEMI; do eval "printf %s \\"\\$$n\\"" > "/out-$n"; done',
          hostile,
        ),
        { kind: "run", argv: ["/bin/sh", "-c", 'printf %s "$1" > /argv-out', "sh", hostile.SEMI], env: {} },
      ],
    });
    const result = await boot(script);
    expect(result.markers.at(-1)).toEqual({ kind: "success" });
    for (const [name, value] of Object.entries(hostile)) {
      expect(await readFile(join(result.upper, `out-${name}`), "utf8")).toBe(value);
    }
    expect(await readFile(join(result.upper, "argv-out"), "utf8")).toBe(hostile.SEMI);
    for (const owned of ["owned-subst", "owned-ticks", "owned-newline", "owned-semi"]) {
      expect(existsSync(join(result.upper, owned))).toBe(false);
    }
  });

  test("writes copied files, directories and symlinks with their modes", async () => {
    const script = layerStartupScript({
      title: "copy",
      nonce: NONCE,
      steps: [
        {
          kind: "write",
          entries: [
            { type: "dir", path: "/opt/app", mode: 0o750 },
            {
              type: "file",
              path: "/opt/app/run.sh",
              content: Buffer.from("#!/bin/sh\necho 'BAKE_EOF' $HOME\n"),
              mode: 0o755,
            },
            {
              type: "file",
              path: "/opt/app/data.bin",
              content: Buffer.from([0, 1, 2, 255, 10, 39]),
              mode: 0o600,
            },
            { type: "symlink", path: "/opt/app/current", target: "run.sh" },
          ],
        },
        run("/opt/app/run.sh > /opt/app/out"),
      ],
    });
    const result = await boot(script);
    expect(result.markers.at(-1)).toEqual({ kind: "success" });
    expect(await readFile(join(result.upper, "opt/app/out"), "utf8")).toBe("BAKE_EOF /root\n");
    expect([...(await readFile(join(result.upper, "opt/app/data.bin")))]).toEqual([0, 1, 2, 255, 10, 39]);
    expect((await stat(join(result.upper, "opt/app/data.bin"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(result.upper, "opt/app"))).mode & 0o777).toBe(0o750);
    expect(await readlink(join(result.upper, "opt/app/current"))).toBe("run.sh");
  });

  test("reports a step killed by its timeout as a timeout", async () => {
    const script = layerStartupScript({
      title: "timeout",
      nonce: NONCE,
      steps: [{ kind: "run", script: "sleep 30", env: {}, timeoutMs: 1000 }],
    });
    const result = await boot(script);
    expect(result.markers.at(-1)).toMatchObject({ kind: "failure", step: 1, reason: "timeout" });
  });

  test("runs verify checks with retries and reports every attempt", async () => {
    const timing = { retries: 2, intervalMs: 0, timeoutMs: 5000 };
    const checks: GuestCheck[] = [
      {
        kind: "run",
        script: 'test "$(cat /etc/os-release | head -1)" = "$WANT"',
        env: { WANT: 'PRETTY_NAME="fake debian (busybox)"' },
        ...timing,
      },
      { kind: "file", path: "/etc/passwd", exists: true, contains: "root:x:0:0", mode: 0o644, ...timing },
      {
        kind: "run",
        script: "n=$(cat /tmp/count 2>/dev/null || echo 0); echo $((n + 1)) > /tmp/count; [ $n -ge 1 ]",
        env: {},
        ...timing,
      },
      { kind: "file", path: "/nope", exists: true, ...timing, retries: 1 },
    ];
    const result = await boot(verifyStartupScript({ title: "verify", nonce: NONCE, checks }));
    const ends = result.markers.filter((m) => m.kind === "check-end");
    expect(ends).toEqual([
      { kind: "check-end", check: 1, ok: true, attempts: 1 },
      { kind: "check-end", check: 2, ok: true, attempts: 1 },
      { kind: "check-end", check: 3, ok: true, attempts: 2 },
      { kind: "check-end", check: 4, ok: false, attempts: 2 },
    ]);
    expect(result.markers.at(-1)).toEqual({ kind: "success" });
  });

  test("measures how far a script is beyond the metadata limit", () => {
    const big = layerStartupScript({
      title: "big",
      nonce: NONCE,
      steps: [
        { kind: "write", entries: [{ type: "file", path: "/big", content: Buffer.alloc(300 * 1024, 7) }] },
      ],
    });
    const size = scriptSize(big);
    expect(size.bytes).toBeGreaterThan(METADATA_VALUE_LIMIT);
    expect(size.excess).toBe(size.bytes - METADATA_VALUE_LIMIT);
    expect(
      scriptSize(layerStartupScript({ title: "small", nonce: NONCE, steps: [run("true")] })).excess,
    ).toBe(0);
  });
});
