import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { execa } from "execa";

/** The repository root, where `bin/bake.js` runs the compiled CLI from `dist/`. */
export const repoRoot = resolve(import.meta.dirname, "../..");

/** One run of the compiled CLI as a separate process. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/bake.js ARGS` as a new user would: a separate process with only the given environment
 * (plus PATH and HOME). Run `npm run build` first; this fails with that advice when `dist/` is missing.
 */
export async function runCompiledBake(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliRun> {
  assertBuilt();
  const result = await execa(process.execPath, [join(repoRoot, "bin/bake.js"), ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...options.env },
    extendEnv: false,
    reject: false,
    timeout: 120_000,
  });
  return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

let checked = false;

/** Throws when `dist/` is missing or older than `src/`: a test of the compiled CLI must run what src/ says. */
export function assertBuilt(): void {
  if (checked) return;
  const main = join(repoRoot, "dist/cli/main.js");
  if (!existsSync(main)) throw new Error("dist/ is missing: run `npm run build`");
  const built = statSync(main).mtimeMs;
  const src = join(repoRoot, "src");
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && statSync(join(entry.parentPath, entry.name)).mtimeMs > built) {
      throw new Error(`dist/ is older than src/ (${entry.name}): run \`npm run build\``);
    }
  }
  checked = true;
}
