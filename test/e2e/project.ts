import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "../../src/cli/main.js";
import type { BuildEvent } from "../../src/drivers/events.js";
import { openManifest } from "../../src/manifest/manifest.js";
import type { ImageRecord } from "../../src/manifest/types.js";

/** The outcome of one `bake build ... --json` run through the real entry point. */
export interface BuildRun {
  code: number;
  events: BuildEvent[];
  stdout: string;
  stderr: string;
}

/** A throwaway project directory with its own store (`.bake/`) and manifest. */
export class Project {
  private constructor(readonly dir: string) {}

  static async create(): Promise<Project> {
    return new Project(await mkdtemp(join(tmpdir(), "bake-e2e-")));
  }

  async write(path: string, text: string): Promise<void> {
    const full = join(this.dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, text, { mode: 0o755 });
  }

  /** Runs `bake build` in-process with JSON events, as CI would with `--json`. */
  async build(recipe: string, ...args: string[]): Promise<BuildRun> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["build", recipe, "--json", ...args], {
      cwd: this.dir,
      env: { PATH: process.env.PATH, CI: "true" },
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => err.push(text) },
      signal: new AbortController().signal,
    });
    const stdout = out.join("");
    const events = stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as BuildEvent | { type: "result" })
      .filter((event): event is BuildEvent => event.type !== "result");
    return { code, events, stdout, stderr: err.join("") };
  }

  async records(): Promise<ImageRecord[]> {
    const manifest = await openManifest(join(this.dir, "bake.lineage.jsonl"), { mustExist: false });
    return [...manifest.records()];
  }

  async images(lineage: string): Promise<ImageRecord[]> {
    return (await this.records()).filter((record) => record.kind === "image" && record.lineage === lineage);
  }

  /** What runs left in the store's scratch areas, and any mount under the project: all must be empty. */
  async leftovers(): Promise<{ temps: string[]; runs: string[]; mounts: string[] }> {
    const list = (dir: string) => readdir(join(this.dir, ".bake", dir)).catch(() => [] as string[]);
    const mounts = (await readFile("/proc/mounts", "utf8"))
      .split("\n")
      .filter((line) => line.includes(this.dir));
    return { temps: await list("tmp"), runs: await list("runs"), mounts };
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Events of one type. */
export function ofType<T extends BuildEvent["type"]>(
  events: BuildEvent[],
  type: T,
): Extract<BuildEvent, { type: T }>[] {
  return events.filter((event): event is Extract<BuildEvent, { type: T }> => event.type === type);
}

/** A base on the machine's own OS and an app on top of it, like `examples/`, small enough for tests. */
export const BASE_RECIPE = `apiVersion: bake/v1
name: e2e-base
version: "1.0.0"
from: host
target: { driver: local, network: none }
layers:
  - name: system
    steps:
      - run: mkdir -p /opt/base && echo base > /opt/base/release
verify:
  - file: { path: /opt/base/release, contains: base }
`;

export const APP_RECIPE = `apiVersion: bake/v1
name: e2e-app
version: \${vars.app_version}
from: e2e-base
target: { driver: local, network: none }
vars:
  app_version: { type: string, default: "1.0.0" }
layers:
  - name: runtime
    steps:
      - run: mkdir -p /opt/app && head -c 8 /dev/urandom | od -An -tx1 > /opt/app/runtime-stamp
  - name: app
    steps:
      - copy: { from: src/, to: /opt/app/ }
      - run: /opt/app/install.sh
        env: { APP_VERSION: "\${vars.app_version}" }
verify:
  - name: installed with the version
    run: test "$(cat /opt/app/installed)" = "$APP_VERSION"
    env: { APP_VERSION: "\${vars.app_version}" }
  - name: base is below
    file: { path: /opt/base/release, contains: base }
`;

export const INSTALL_SH = `#!/bin/sh
set -eu
printf '%s\\n' "$APP_VERSION" > /opt/app/installed
`;
