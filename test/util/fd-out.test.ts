import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, repo } from "../helpers/compiled-cli.js";

// FdOut writes stdout and stderr with write(2), as the CLI does. These run it in a child process whose stdout is a
// real pipe to this one (or /dev/null), since what matters is what the descriptor does: fill up, go non-blocking,
// or lose its reader.

const fdOut = pathToFileURL(join(repo, "dist/util/fd-out.js")).href;

interface Child {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `body` (an ES module, with FdOut and `closed` in scope) and reads its stdout after `readAfterMs`. */
function runChild(
  body: string,
  options: { readAfterMs?: number; closeStdout?: boolean; stdout?: "pipe" | "ignore" | number } = {},
): Promise<Child> {
  const script = `import { FdOut } from ${JSON.stringify(fdOut)};
import { writeSync } from "node:fs";
const closed = () => writeSync(2, "closed\\n");
${body}`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", options.stdout ?? "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  if (options.closeStdout) child.stdout?.destroy();
  else
    setTimeout(
      () =>
        child.stdout?.on("data", (chunk: Buffer) => {
          stdout += chunk.toString("utf8");
        }),
      options.readAfterMs ?? 0,
    );
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

describe("FdOut", () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 300_000);

  it("writes everything, in order, to a pipe that fills up", async () => {
    const run = await runChild(
      `const out = new FdOut(1, closed);
for (let i = 0; i < 1024; i++) out.write(String(i).padStart(6, "0") + "x".repeat(1017) + "\\n");`,
      { readAfterMs: 300 },
    );
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1024);
    expect(lines.map((line) => Number(line.slice(0, 6)))).toEqual([...Array(1024).keys()]);
  });

  it("hands a descriptor made non-blocking over to the process's stream, and loses nothing", async () => {
    // Touching process.stdout makes libuv set O_NONBLOCK on the pipe; a full pipe then answers write(2) with EAGAIN.
    const run = await runChild(
      `process.stdout;
const out = new FdOut(1, closed);
for (let i = 0; i < 1024; i++) out.write(String(i).padStart(6, "0") + "y".repeat(1017) + "\\n");`,
      { readAfterMs: 300 },
    );
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines.map((line) => Number(line.slice(0, 6)))).toEqual([...Array(1024).keys()]);
    expect(lines.every((line) => line.length === 1023)).toBe(true);
  });

  it("tells once that the reader went away, and drops what comes after, without throwing", async () => {
    const run = await runChild(
      `await new Promise((resolve) => setTimeout(resolve, 200));
const out = new FdOut(1, closed);
const results = [];
for (let i = 0; i < 100; i++) results.push(out.write("line\\n"));
writeSync(2, "last write " + results.at(-1) + "\\n");`,
      { closeStdout: true },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("closed\nlast write false\n");
  });

  it("treats any other write failure (ENOSPC on /dev/full) as a closed output: told once, no throw", async () => {
    const full = openSync("/dev/full", "w");
    try {
      const run = await runChild(
        `const out = new FdOut(1, closed);
const results = [out.write("one\\n"), out.write("two\\n")];
writeSync(2, "results " + results.join(",") + "\\n");`,
        { stdout: full },
      );
      expect(run.code).toBe(0);
      expect(run.stderr).toBe("closed\nresults false,false\n");
    } finally {
      closeSync(full);
    }
  });

  it("is not a terminal on a pipe or /dev/null, and finds that out without loading node:tty", async () => {
    const body = `const tty = new FdOut(1, closed).isTTY;
const loaded = process.moduleLoadList.filter((name) => /^NativeModule (tty|net)$/.test(name));
writeSync(2, JSON.stringify({ tty, loaded }) + "\\n");`;
    const pipe = await runChild(body);
    expect(JSON.parse(pipe.stderr)).toEqual({ tty: false, loaded: [] });
    const devNull = await runChild(body, { stdout: "ignore" });
    expect(JSON.parse(devNull.stderr)).toEqual({ tty: false, loaded: [] });
  });
});
