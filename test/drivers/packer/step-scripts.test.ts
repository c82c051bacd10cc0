// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell, HCL and recipe strings spell ${...} literally.
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkScript,
  copyPlacementScript,
  filePlacementScript,
  runScript,
  verifySummaryScript,
} from "../../../src/drivers/packer/step-scripts.js";
import type { PlannedCheck, PlannedCopyStep } from "../../../src/plan/types.js";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "bake-packer-scripts-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

// Runs a generated script with the host's /bin/sh, as Packer's shell provisioner would in the instance.
async function runGenerated(text: string, env: Record<string, string> = {}) {
  const file = path.join(work, `script-${Math.random().toString(36).slice(2)}.sh`);
  await writeFile(file, text, { mode: 0o755 });
  const result = await execa("/bin/sh", [file], {
    // The verify scripts keep their failure list under TMPDIR: this test's, not the machine's /tmp.
    env: { PATH: process.env.PATH ?? "", TMPDIR: work, ...env },
    extendEnv: false,
    reject: false,
  });
  return { stdout: result.stdout as string, exitCode: result.exitCode };
}

// Shell values cannot hold NUL; everything else must arrive byte for byte.
const shellText = fc.string({ unit: "binary", maxLength: 40 }).filter((text) => !text.includes("\u0000"));

describe("run step scripts", () => {
  it("passes every argv word to the program unchanged", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(shellText, { maxLength: 4 }), async (words) => {
        const { text } = runScript({ argv: ["printf", "%s\\0", ...words], env: {} }, "argv test");
        const { stdout } = await runGenerated(text);
        const expected = words.length === 0 ? "\u0000" : words.map((word) => `${word}\u0000`).join("");
        expect(stdout).toBe(expected);
      }),
      { numRuns: 40 },
    );
  });

  it("exports environment values verbatim, whatever quotes, dollars or braces they hold", async () => {
    await fc.assert(
      fc.asyncProperty(shellText, async (value) => {
        const { text } = runScript({ script: 'printf "%s|" "$VALUE"', env: { VALUE: value } }, "env test");
        const { stdout } = await runGenerated(text);
        expect(stdout).toBe(`${value}|`);
      }),
      { numRuns: 40 },
    );
  });

  it("decodes secrets from their base64 carrier, trailing newlines included, and unsets the carrier", async () => {
    const secret = "p@ss'w\"{{.x}}${y}\n\n";
    const { text, secrets } = runScript(
      {
        script: 'printf "%s|%s" "$TOKEN" "${BAKE_SECRET_api:-gone}"',
        env: { TOKEN: { secret: "t=${vars.api}!" } },
      },
      "secret test",
    );
    expect(secrets).toEqual(["api"]);
    expect(text).not.toContain(secret);
    const { stdout } = await runGenerated(text, { BAKE_SECRET_api: Buffer.from(secret).toString("base64") });
    expect(stdout).toBe(`t=${secret}!|gone`);
  });

  it("runs in the step's workdir and fails when it does not exist", async () => {
    const ok = await runGenerated(runScript({ script: "pwd", env: {}, workdir: work }, "workdir").text);
    const missing = await runGenerated(
      runScript({ script: "pwd", env: {}, workdir: path.join(work, "nope") }, "workdir").text,
    );
    expect(ok.stdout).toBe(work);
    expect(missing.exitCode).not.toBe(0);
  });

  it("returns the script's own exit code", async () => {
    const { exitCode } = await runGenerated(runScript({ script: "exit 7", env: {} }, "fails").text);
    expect(exitCode).toBe(7);
  });
});

describe("copy placement scripts", () => {
  it("places a directory's contents with the planned modes and recreates symlinks", async () => {
    const staging = path.join(work, "stage-dir");
    await mkdir(path.join(staging, "bin"), { recursive: true });
    await writeFile(path.join(staging, "bin/run.sh"), "#!/bin/sh\n", { mode: 0o600 });
    await writeFile(path.join(staging, "README"), "hi\n", { mode: 0o600 });
    const to = path.join(work, "placed", "app/");
    const step: PlannedCopyStep = {
      kind: "copy",
      title: "copy",
      from: "app",
      to,
      entries: [
        { path: "README", type: "file", mode: 0o644 },
        { path: "bin", type: "dir", mode: 0o750 },
        { path: "bin/run.sh", type: "file", mode: 0o755 },
        { path: "latest", type: "symlink", mode: 0o777, target: "bin/run.sh" },
      ],
    };
    const { exitCode } = await runGenerated(copyPlacementScript(step, staging, "copy").text);
    expect(exitCode).toBe(0);
    expect((await stat(path.join(to, "README"))).mode & 0o7777).toBe(0o644);
    expect((await stat(path.join(to, "bin"))).mode & 0o7777).toBe(0o750);
    expect((await stat(path.join(to, "bin/run.sh"))).mode & 0o7777).toBe(0o755);
    expect((await lstat(path.join(to, "latest"))).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(to, "latest"))).toBe("bin/run.sh");
    await expect(stat(staging)).rejects.toThrow();
  });

  it("places a single file inside a directory target named with a trailing slash, with the step's mode", async () => {
    const staging = path.join(work, "stage-file");
    await writeFile(staging, "config\n");
    const step: PlannedCopyStep = {
      kind: "copy",
      title: "copy",
      from: "conf/app.conf",
      to: `${path.join(work, "etc")}/`,
      mode: 0o600,
      entries: [{ path: "", type: "file", mode: 0o644 }],
    };
    expect((await runGenerated(copyPlacementScript(step, staging, "copy").text)).exitCode).toBe(0);
    const placed = path.join(work, "etc", "app.conf");
    expect(await readFile(placed, "utf8")).toBe("config\n");
    expect((await stat(placed)).mode & 0o7777).toBe(0o600);
  });
});

describe("file placement scripts", () => {
  it("writes secret content inside the instance with the file's mode", async () => {
    const target = path.join(work, "secret", "token");
    const script = filePlacementScript(
      { kind: "file", title: "file", path: target, content: { secret: "token=${vars.t}\n" }, mode: 0o600 },
      { header: "file" },
    );
    expect(script.secrets).toEqual(["t"]);
    const { exitCode } = await runGenerated(script.text, {
      BAKE_SECRET_t: Buffer.from("s3cr3t").toString("base64"),
    });
    expect(exitCode).toBe(0);
    expect(await readFile(target, "utf8")).toBe("token=s3cr3t\n");
    expect((await stat(target)).mode & 0o7777).toBe(0o600);
  });
});

describe("check scripts", () => {
  const timing = { retries: 2, intervalMs: 10, timeoutMs: 5000 };

  it("retries a failing check and reports the attempt that passed", async () => {
    const counter = path.join(work, "attempts");
    const check: PlannedCheck = {
      kind: "run",
      name: "eventually",
      env: {},
      script: `echo x >> ${counter}; test "$(wc -l < ${counter})" -ge 2`,
      ...timing,
    };
    const { stdout, exitCode } = await runGenerated(
      checkScript(check, { marker: "M", header: "check" }).text,
    );
    expect(exitCode).toBe(0);
    expect(stdout.split("\n")).toEqual(["M:start", "M:ok:2"]);
  });

  it("reports a check that never passes with its attempts and exit code, without failing the build", async () => {
    const check: PlannedCheck = { kind: "run", name: "never", env: {}, script: "exit 4", ...timing };
    const { stdout, exitCode } = await runGenerated(
      checkScript(check, { marker: "M", header: "check" }).text,
    );
    expect(exitCode).toBe(0);
    expect(stdout.split("\n")).toEqual(["M:start", "M:fail:3:4"]);
  });

  it("lets the closing script fail the build, naming the failed checks, only when one failed", async () => {
    // A TMPDIR of its own: other tests' failing checks list themselves in the shared one.
    const own = { TMPDIR: await mkdtemp(path.join(work, "verify-")) };
    const run = (text: string) => runGenerated(text, own);
    const summary = verifySummaryScript({ marker: "S" }).text;
    const pass: PlannedCheck = { kind: "run", name: "passes", env: {}, script: "true", ...timing };
    await run(checkScript(pass, { marker: "M", header: "check" }).text);
    expect(await run(summary)).toEqual({ stdout: "S:passed", exitCode: 0 });
    const fail: PlannedCheck = { kind: "run", name: "it's broken", env: {}, script: "exit 2", ...timing };
    expect((await run(checkScript(fail, { marker: "M", header: "check" }).text)).exitCode).toBe(0);
    await run(checkScript(pass, { marker: "M", header: "check" }).text);
    expect(await run(summary)).toEqual({
      stdout: "S:failed\nverify check failed: it's broken",
      exitCode: 1,
    });
    // The list is consumed: a later verify build in the same instance starts clean.
    expect(await run(summary)).toEqual({ stdout: "S:passed", exitCode: 0 });
  });

  it("checks a file's presence, content and mode", async () => {
    const file = path.join(work, "checked.txt");
    await writeFile(file, "version 2.4.0\n", { mode: 0o640 });
    const make = (extra: Partial<Extract<PlannedCheck, { kind: "file" }>>): PlannedCheck => ({
      kind: "file",
      name: "file",
      path: file,
      exists: true,
      ...timing,
      retries: 0,
      ...extra,
    });
    const outcome = async (check: PlannedCheck) =>
      (await runGenerated(checkScript(check, { marker: "M", header: "c" }).text)).stdout.split("\n")[1];
    expect(await outcome(make({ contains: "2.4.0", mode: 0o640 }))).toBe("M:ok:1");
    expect(await outcome(make({ contains: "3.0" }))).toMatch(/^M:fail:1:/);
    expect(await outcome(make({ mode: 0o644 }))).toMatch(/^M:fail:1:/);
    expect(await outcome(make({ path: path.join(work, "absent"), exists: false }))).toBe("M:ok:1");
  });
});
