import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureIO } from "../helpers/capture-io.js";
import { bakeBin, ensureBuilt, repo, spawnBake } from "../helpers/compiled-cli.js";

function capture() {
  return captureIO();
}

describe("bake entry point", () => {
  it("prints its version", async () => {
    const run = capture();
    expect(await main(["--version"], run.io)).toBe(0);
    expect(run.stdout()).toMatch(/^bake \d+\.\d+\.\d+\n$/);
  });

  it("suggests the nearest command for a typo and exits 2", async () => {
    const run = capture();
    expect(await main(["buidl"], run.io)).toBe(2);
    expect(run.stderr()).toContain('did you mean "bake build"');
    expect(run.stderr()).not.toContain("    at ");
  });

  it("suggests the nearest option for a typo", async () => {
    const run = capture();
    expect(await main(["history", "--al"], run.io)).toBe(2);
    expect(run.stderr()).toContain("did you mean --all?");
  });

  it("refuses a wrong number of arguments with the usage line", async () => {
    const run = capture();
    expect(await main(["diff", "one"], run.io)).toBe(2);
    expect(run.stderr()).toContain("usage: bake diff REF REF");
  });

  it("shows help with examples for every command", async () => {
    for (const name of ["init", "validate", "plan", "build", "history", "show", "trace", "fsck", "gc"]) {
      const run = capture();
      expect(await main([name, "--help"], run.io)).toBe(0);
      expect(run.stdout()).toContain("Examples:");
    }
  });
});

// Regression tests for the compiled CLI as a separate process: signals (issue 9 item 5) and a closed stdout
// (issue 10 item 9).
describe("the compiled bake process", () => {
  let dir: string;
  const RECIPE = "apiVersion: bake/v1\nname: sig\nfrom: host\nlayers:\n  - name: slow\n    steps:\n";

  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), "bake-main-"));
  }, 300_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Resolves once `text` shows on the child's stdout or stderr.
  function sawOutput(child: ReturnType<typeof spawnBake>["child"], text: string): Promise<void> {
    return new Promise((done) => {
      let seen = "";
      const look = (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes(text)) done();
      };
      child.stdout?.on("data", look);
      child.stderr?.on("data", look);
    });
  }

  it("ends a command stuck in a read that ignores the abort within a second of SIGINT, as the shell's 130", async () => {
    const fifo = join(dir, "nobody-writes.fifo");
    execFileSync("mkfifo", [fifo]);
    await writeFile(join(dir, "recipe.yaml"), `${RECIPE}      - run: "true"\n`);
    // The preload makes bake's open() of recipe.yaml block in the thread pool on a FIFO no one writes to.
    const { child, done } = spawnBake(["validate", "recipe.yaml"], {
      cwd: dir,
      env: { PATH: process.env.PATH, STALL_FIFO: fifo },
      nodeArgs: ["--import", join(repo, "test/fixtures/stuck-read/stall-open.mjs")],
      timeoutMs: 20_000,
    });
    await sawOutput(child, "stalled");
    await new Promise((wait) => setTimeout(wait, 200));
    const sentAt = Date.now();
    child.kill("SIGINT");
    const run = await done;
    // It dies of SIGINT itself, which a shell reports as exit status 130.
    expect({ code: run.code, signal: run.signal }).toEqual({ code: null, signal: "SIGINT" });
    expect(Date.now() - sentAt).toBeLessThan(1000);
    expect(run.stderr).toContain("error: interrupted by SIGINT");
    expect(run.stderr).not.toContain("    at ");
    const shell = await promisify(execFile)(
      "bash",
      [
        "-c",
        `STALL_FIFO=${fifo} "${process.execPath}" --import ${join(repo, "test/fixtures/stuck-read/stall-open.mjs")} ${bakeBin} validate recipe.yaml 2>/dev/null & pid=$!; sleep 1; kill -INT $pid; wait $pid; echo "status $?"`,
      ],
      { cwd: dir },
    );
    expect(shell.stdout).toBe("status 130\n");
  }, 30_000);

  it("stops planning at the next read after SIGINT, for bake plan and bake build, without a stack trace", async () => {
    await writeFile(join(dir, "planned.yaml"), `${RECIPE}      - run: echo never-runs\n`);
    await writeFile(join(dir, "vars.slow.yaml"), "{}\n");
    for (const command of ["plan", "build"]) {
      // The preload holds the var file's open() for 400ms: SIGINT arrives while planning reads it.
      const { child, done } = spawnBake([command, "planned.yaml", "--var-file", "vars.slow.yaml"], {
        cwd: dir,
        env: { PATH: process.env.PATH, CI: "true", SLOW_OPEN: "vars.slow.yaml", SLOW_OPEN_MS: "400" },
        nodeArgs: ["--import", join(repo, "test/fixtures/slow-open/slow-open.mjs")],
        timeoutMs: 20_000,
      });
      await sawOutput(child, "slow-open");
      child.kill("SIGINT");
      const run = await done;
      // The read sees the abort and bake returns 130 itself, before the watchdog (600ms) would kill it.
      expect({ command, code: run.code, signal: run.signal }).toEqual({ command, code: 130, signal: null });
      expect(run.stderr).toContain("interrupted by SIGINT");
      expect(run.stderr).not.toContain("    at ");
      expect(run.stdout).not.toMatch(/never-runs|step-started/);
    }
  }, 60_000);

  it("refuses at once a manifest path that is a FIFO, a directory or a device, instead of hanging in its open", async () => {
    const fifo = join(dir, "manifest.fifo");
    execFileSync("mkfifo", [fifo]);
    await writeFile(join(dir, "tiny.yaml"), `${RECIPE}      - run: "true"\n`);
    for (const manifest of [fifo, dir, "/dev/zero"]) {
      for (const args of [["history"], ["fsck"], ["promote", "web#1", "prod"], ["build", "tiny.yaml"]]) {
        // Before the fix, the synchronous open of the FIFO never returned and SIGINT could not end it.
        const run = await spawnBake([...args, "--manifest", manifest], {
          cwd: dir,
          env: { PATH: process.env.PATH, CI: "true" },
          timeoutMs: 10_000,
        }).done;
        expect({ args, code: run.code }).toEqual({ args, code: 2 });
        expect(run.stderr).toMatch(
          /the manifest .* is (a named pipe \(FIFO\)|a directory|a character device), not a regular file/,
        );
        expect(run.stderr).not.toContain("    at ");
      }
    }
  }, 120_000);

  it("ends a long bake build step with exit code 130 within a second of SIGINT", async () => {
    await writeFile(join(dir, "slow.yaml"), `${RECIPE}      - run: echo step-running; sleep 61.29\n`);
    const { child, done } = spawnBake(["build", "slow.yaml"], {
      cwd: dir,
      env: { PATH: process.env.PATH, CI: "true" },
      timeoutMs: 60_000,
    });
    await sawOutput(child, "step-running");
    const sentAt = Date.now();
    child.kill("SIGINT");
    const run = await done;
    expect(run.code).toBe(130);
    expect(Date.now() - sentAt).toBeLessThan(1000);
    expect(run.stderr).toContain("interrupted by SIGINT");
  }, 90_000);

  it("ends quietly when its stdout is closed under it, as with | head -c1", async () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `unknown_key_${i}: 1`).join("\n");
    await writeFile(join(dir, "many.yaml"), `${RECIPE}      - run: "true"\n${keys}\n`);
    for (const args of ["validate many.yaml --json", "--help"]) {
      const { stdout } = await promisify(execFile)(
        "bash",
        [
          "-c",
          `"${process.execPath}" ${bakeBin} ${args} 2>err.txt | head -c1 >/dev/null; echo "$\{PIPESTATUS[0]}"; cat err.txt`,
        ],
        { cwd: dir },
      );
      const [status, ...stderr] = stdout.split("\n");
      // 141 is 128 + SIGPIPE, what a shell shows for a Unix tool whose reader went away; --help fits in the pipe.
      expect(["141", "0"]).toContain(status);
      if (args !== "--help") expect(status).toBe("141");
      expect(stderr.join("\n")).not.toMatch(/EPIPE| {4}at |internal error/);
    }
  }, 60_000);

  it("ends quietly with 141 when its output cannot be written at all (a full disk: /dev/full)", async () => {
    await writeFile(join(dir, "full.yaml"), `${RECIPE}      - run: "true"\n`);
    for (const args of ["--version", "--help", "validate full.yaml"]) {
      const { stdout } = await promisify(execFile)(
        "bash",
        ["-c", `"${process.execPath}" ${bakeBin} ${args} 2>err.txt >/dev/full; echo "$?"; cat err.txt`],
        { cwd: dir },
      );
      const [status, ...stderr] = stdout.split("\n");
      expect({ args, status }).toEqual({ args, status: "141" });
      expect(stderr.join("\n")).not.toMatch(/ENOSPC| {4}at |internal error/);
    }
  }, 60_000);
});
