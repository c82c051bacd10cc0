import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { spawnNamespaced } from "../../../src/drivers/local/namespace.js";
import { runInSandbox } from "../../../src/drivers/local/sandbox.js";
import { makeBusyboxRootfs } from "./helpers.js";

const rootfs = makeBusyboxRootfs();
const signal = new AbortController().signal;

async function capture(
  argv: string[],
  options: { env?: Record<string, string>; user?: string; workdir?: string } = {},
) {
  const lines: string[] = [];
  const result = await runInSandbox({
    lowerDirs: [rootfs],
    argv,
    env: options.env ?? {},
    network: "none",
    signal,
    user: options.user,
    workdir: options.workdir,
    onOutput: (stream, line) => lines.push(`${stream}: ${line}`),
  });
  return { ...result, lines };
}

describe("runInSandbox", () => {
  test("runs argv without a shell, passes the exit code through and gives only the given environment", async () => {
    const result = await capture(["/bin/env"], { env: { GREETING: "hello world", EMPTY: "" } });
    expect(result.exitCode).toBe(0);
    expect(result.lines.sort()).toEqual([
      "stdout: EMPTY=",
      "stdout: GREETING=hello world",
      "stdout: HOME=/root",
      "stdout: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ]);
    expect((await capture(["/bin/sh", "-c", "echo out; echo err >&2; exit 42"])).lines).toEqual([
      "stdout: out",
      "stderr: err",
    ]);
    expect((await capture(["/bin/sh", "-c", "exit 42"])).exitCode).toBe(42);
  });

  test("passes every environment value byte for byte, quotes, newlines and shell syntax included, and runs none", async () => {
    const values: Record<string, string> = {
      QUOTE: `it's "quoted"`,
      LINES: "a\nb\n\n",
      SUBST: "$(touch /pwned) `touch /pwned2` $" + "{HOME}",
      BACKSLASH: "\\ \\n \\'",
      SPACES: "  lead and trail  ",
    };
    const names = Object.keys(values);
    const dump = names.map((name) => `printf '%s' "$${name}" | od -An -tx1 | tr -d ' \\n'; echo`);
    const result = await capture(
      ["/bin/sh", "-c", [...dump, "test ! -e /pwned && test ! -e /pwned2"].join("\n")],
      {
        env: values,
      },
    );
    expect(result.exitCode).toBe(0);
    expect(result.lines).toEqual(
      names.map((name) => `stdout: ${Buffer.from(values[name] as string).toString("hex")}`),
    );
    // Names the setup shell uses itself still reach the step when given, and only then.
    const given = await capture(["/bin/env"], { env: { PWD: "/given", _: "underscore", SHLVL: "7" } });
    expect(given.lines.sort()).toEqual([
      "stdout: HOME=/root",
      "stdout: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "stdout: PWD=/given",
      "stdout: SHLVL=7",
      "stdout: _=underscore",
    ]);
  });

  test("runs as the image's user in the working directory, as pid 1 of its own namespace, with a private /tmp", async () => {
    const result = await capture(
      ["/bin/sh", "-c", 'echo "$(id -u):$(id -g) $PWD $HOME $$ $(ls -A /tmp | wc -l)"'],
      {
        user: "app",
        workdir: "/etc",
      },
    );
    expect(result.lines).toEqual(["stdout: 1000:1000 /etc /home/app 1 0"]);
  });

  test("throws away writes when no upper dir is given and removes its scratch directories", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "bake-scratch-"));
    const result = await runInSandbox({
      lowerDirs: [rootfs],
      argv: ["/bin/sh", "-c", "echo x > /written"],
      env: {},
      network: "none",
      signal,
      scratchDir: scratch,
    });
    expect(result.exitCode).toBe(0);
    expect(readdirSync(scratch)).toEqual([]);
    expect((await capture(["/bin/sh", "-c", "test ! -e /written"])).exitCode).toBe(0);
  });

  test("refuses unknown users, bad variable names and missing layer directories with clear errors", async () => {
    await expect(capture(["/bin/true"], { user: "ghost" })).rejects.toMatchObject({ code: "unknown-user" });
    await expect(capture(["/bin/true"], { env: { "BAD-NAME": "x" } })).rejects.toMatchObject({
      code: "sandbox-env",
    });
    await expect(
      runInSandbox({
        lowerDirs: ["/nonexistent/layer"],
        argv: ["/bin/true"],
        env: {},
        network: "none",
        signal,
      }),
    ).rejects.toMatchObject({ code: "sandbox-layer-missing" });
  });

  test("explains when user ids cannot be mapped, and suggests the packer target", async () => {
    const bogus = {
      kind: "subordinate" as const,
      uids: [{ inner: 0, outer: 4_000_000_000, count: 1 }],
      gids: [{ inner: 0, outer: 4_000_000_000, count: 1 }],
      key: "bogus",
    };
    const attempt = spawnNamespaced({ argv: ["/bin/true"], mapping: bogus, sandbox: true });
    await expect(attempt).rejects.toMatchObject({
      code: "sandbox-unavailable",
      hint: expect.stringContaining("--target packer"),
    });
  });
});
