import { execFile } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const repo = resolve(import.meta.dirname, "../..");

/** What one run of the compiled `bake` printed and returned. */
export interface CompiledRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Builds `dist/` when a source file is newer than it, so a test runs the CLI a user would. */
export async function ensureCompiled(): Promise<void> {
  const built = await stat(join(repo, "dist/cli/main.js")).catch(() => undefined);
  if (built && built.mtimeMs >= (await newestMtime(join(repo, "src")))) return;
  await promisify(execFile)("npm", ["run", "build"], { cwd: repo });
}

/** Runs `bin/bake.js ARGS` as a separate process, outside CI unless `env` says so, and waits for it. */
export function runCompiled(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CompiledRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(repo, "bin/bake.js"), ...args],
      {
        cwd: options.cwd,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}
