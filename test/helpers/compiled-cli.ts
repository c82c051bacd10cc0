import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

/** The repository root, where `bin/bake.js` and `dist/` live. */
export const repo = resolve(import.meta.dirname, "../..");
/** The compiled CLI a user runs. */
export const bakeBin = join(repo, "bin/bake.js");

/**
 * What `npm run build` makes that tests run: tsc's library (`dist/`, which `test/drivers/local/killed.test.ts` and
 * benches import) and the CLI bundle `bin/bake.js` loads (scripts/bundle-cli.mjs).
 */
const BUILT = ["dist/cli/main.js", "dist/cli-bundle/bake.cjs"];

/** Whether the library or the CLI bundle is missing or older than a file under `src/` or the build's `scripts/`. */
export async function distIsStale(): Promise<boolean> {
  const times = await Promise.all(
    BUILT.map(async (file) => (await stat(join(repo, file)).catch(() => undefined))?.mtimeMs),
  );
  const built = times.some((time) => time === undefined) ? undefined : Math.min(...(times as number[]));
  let newest = 0;
  for (const dir of ["src", "scripts"]) {
    for (const entry of await readdir(join(repo, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
    }
  }
  return built === undefined || built < newest;
}

/**
 * Builds `dist/` when a source is newer, so regression tests run the CLI as shipped. Test files run in parallel:
 * a lock directory makes the others wait for one build instead of writing `dist/` at once.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(
    tmpdir(),
    `bake-build-${createHash("sha256").update(repo).digest("hex").slice(0, 12)}.lock`,
  );
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      // Another test file is building; a lock older than the deadline is from a killed run.
      const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? 0);
      if (age > 300_000 || Date.now() > deadline) await rm(lock, { recursive: true, force: true });
      await new Promise((done) => setTimeout(done, 200));
    }
  }
  try {
    if (await distIsStale()) {
      await promisify(execFile)("npm", ["run", "build"], { cwd: repo }).catch(() => undefined);
    }
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
  // Not "fresh" again: in a shared working tree, sources may change while tsc runs.
  for (const file of BUILT) await stat(join(repo, file));
}

/** What a finished `bake` process left: its exit code (or signal), output, and how long it ran. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Start the compiled CLI as a separate process. `nodeArgs` go before `bin/bake.js` (such as `--import`).
 * `done` resolves when it exits; a process still running after `timeoutMs` is killed (and `done` says so).
 */
export function spawnBake(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; nodeArgs?: string[]; timeoutMs?: number },
): { child: ChildProcess; done: Promise<CliRun> } {
  const started = Date.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), bakeBin, ...args], {
    cwd: options.cwd,
    // Only what the test gives (plus PATH and HOME), as a new user's shell would; CI mode by default.
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      ...(options.env ?? { CI: "true", NO_COLOR: "1" }),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const done = new Promise<CliRun>((finish) => {
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      finish({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { child, done };
}

/** Run the compiled CLI to completion. */
export function runBake(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number },
): Promise<CliRun> {
  return spawnBake(args, options).done;
}
