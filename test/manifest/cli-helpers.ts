import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { main } from "../../src/cli/main.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { buildFleet, tempManifest } from "./helpers.js";

/** What one `bake` invocation printed and returned. */
export interface BakeRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bake ARGS` in-process against `cwd`, with no colour and an empty environment unless given. */
export async function runBake(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<BakeRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    cwd: options.cwd,
    env: options.env ?? {},
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    signal: new AbortController().signal,
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

/** A directory holding `bake.lineage.jsonl` with the fleet from {@link buildFleet}. */
export async function fleetDir() {
  const { dir, path } = tempManifest();
  const manifest = await openManifest(path, { env: {} });
  const records = await buildFleet(manifest);
  return { dir, path, manifest, ...records };
}

const repo = resolve(import.meta.dirname, "../..");

/**
 * Builds `dist/` when a source file is newer than it, so tests of the compiled CLI test the current sources. Test
 * files run in parallel: a lock directory makes the others wait for one build instead of writing `dist/` at once.
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
}

async function distIsStale(): Promise<boolean> {
  const built = await stat(join(repo, "dist/cli/main.js")).catch(() => undefined);
  let newest = 0;
  for (const entry of await readdir(join(repo, "src"), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return built === undefined || built.mtimeMs < newest;
}

/** Runs the compiled `bin/bake.js ARGS` as a separate process, as a user would, with no colour. */
export function runCompiled(args: string[], options: { cwd: string; env?: Record<string, string> }): BakeRun {
  const result = spawnSync(process.execPath, [join(repo, "bin/bake.js"), ...args], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      NO_COLOR: "1",
      ...options.env,
    },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
