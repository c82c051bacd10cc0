import { spawnSync } from "node:child_process";
import { main } from "../../src/cli/main.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { bakeBin } from "../helpers/compiled-cli.js";
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
  const manifest = await openManifest(path, { create: true, env: {} });
  const records = await buildFleet(manifest);
  return { dir, path, manifest, ...records };
}

export { ensureBuilt } from "../helpers/compiled-cli.js";

/** Runs the compiled `bin/bake.js ARGS` as a separate process, as a user would, with no colour. */
export function runCompiled(args: string[], options: { cwd: string; env?: Record<string, string> }): BakeRun {
  const result = spawnSync(process.execPath, [bakeBin, ...args], {
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
