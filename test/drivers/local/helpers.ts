import { execFile, execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import ts from "typescript";

const APPLETS = execFileSync("/bin/busybox", ["--list"], { encoding: "utf8" })
  .split("\n")
  .filter((name) => name !== "" && name !== "busybox");

/** Makes a tiny offline rootfs from the static busybox: /bin/busybox, one symlink per applet, passwd and group. */
export function makeBusyboxRootfs(dir: string = mkdtempSync(join(tmpdir(), "bake-rootfs-"))): string {
  mkdirSync(join(dir, "bin"), { recursive: true });
  for (const name of ["etc", "root", "tmp", "proc", "dev", "usr/bin", "var"]) {
    mkdirSync(join(dir, name), { recursive: true });
  }
  copyFileSync("/bin/busybox", join(dir, "bin/busybox"));
  execFileSync("chmod", ["755", join(dir, "bin/busybox")]);
  for (const name of APPLETS) symlinkSync("busybox", join(dir, "bin", name));
  writeFileSync(
    join(dir, "etc/passwd"),
    "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
  );
  writeFileSync(join(dir, "etc/group"), "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n");
  writeFileSync(join(dir, "etc/base-release"), "busybox fixture\n");
  return dir;
}

import type { Artifact, ResolvedImage } from "../../../src/drivers/driver.js";
import type { BuildEvent, Reporter } from "../../../src/drivers/events.js";
import { createDriver } from "../../../src/drivers/local/index.js";
import type { BuildPlan, PlannedCheck, PlannedLayer, PlannedStep } from "../../../src/plan/types.js";
import { bakeBin } from "../../helpers/compiled-cli.js";

/** A reporter that keeps every event. */
export function recordingReporter(): Reporter & { events: BuildEvent[] } {
  const events: BuildEvent[] = [];
  return { events, emit: (event) => events.push(event), close: async () => {} };
}

/** A run step with a script. */
export function run(script: string, env: Record<string, string> = {}): PlannedStep {
  return { kind: "run", title: script.slice(0, 40), script, env };
}

/** A layer with a digest derived from its steps. */
export function layer(name: string, steps: PlannedStep[]): PlannedLayer {
  return { name, inputsDigest: `sha256:${"0".repeat(63)}${steps.length}`, steps };
}

/** A check with default timing. */
export function check(
  spec: Omit<PlannedCheck, "retries" | "intervalMs" | "timeoutMs" | "name"> & Partial<PlannedCheck>,
): PlannedCheck {
  return { retries: 0, intervalMs: 100, timeoutMs: 20_000, name: spec.kind, ...spec } as PlannedCheck;
}

/** A minimal plan for driver tests. */
export function plan(input: {
  root: string;
  layers: PlannedLayer[];
  verify?: PlannedCheck[];
  options?: Record<string, unknown>;
}): BuildPlan {
  return {
    apiVersion: "bake/plan/v1",
    lineage: "demo",
    version: "1.0.0",
    recipe: { file: join(input.root, "recipe.yaml"), root: input.root, digest: `sha256:${"a".repeat(64)}` },
    parent: { kind: "external", ref: "scratch", scheme: "scratch", location: "" },
    target: { driver: "local", options: input.options ?? {} },
    layers: input.layers,
    verify: input.verify ?? [],
    labels: { team: "tests" },
    vars: {},
    secrets: [],
  };
}

const SRC = join(import.meta.dirname, "../../../src");

/** Writes plain JavaScript of the local driver (no type checking) to `out`, to run it with bare node in another process. */
export function transpileDriver(out: string): void {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? walk(join(dir, entry.name))
        : entry.name.endsWith(".ts")
          ? [join(dir, entry.name)]
          : [],
    );
  // Every source, so whatever the driver comes to import at run time is there (type-only imports vanish);
  // modules it never loads cost nothing but their transpiling.
  const files = walk(SRC);
  for (const file of files) {
    const { outputText } = ts.transpileModule(readFileSync(file, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const target = join(out, relative(SRC, file)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  writeFileSync(join(out, "package.json"), '{"type":"module"}');
}

/** Creates (once) a throwaway system user, with or without a subordinate id range; needs root. */
export function ensureUser(name: string, subordinate: boolean): { uid: number; gid: number } {
  try {
    execFileSync("id", ["-u", name], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name]);
  }
  const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
  for (const file of ["/etc/subuid", "/etc/subgid"]) {
    const lines = readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line !== "");
    const others = lines.filter((line) => !line.startsWith(`${name}:`));
    // A range far from the ones useradd hands out, so tests never collide with real users.
    const wanted = subordinate
      ? [...others, `${name}:${3_000_000_000 + (uid % 1000) * 65536}:65536`]
      : others;
    writeFileSync(file, wanted.length > 0 ? `${wanted.join("\n")}\n` : "");
  }
  return { uid, gid };
}

/** The argv that runs the compiled CLI (`bin/bake.js`) with these arguments. */
export function bakeArgv(args: readonly string[]): string[] {
  return [process.execPath, bakeBin, ...args];
}

/** Runs the compiled CLI as a separate process and collects its output. */
export function bakeCli(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [node, ...rest] = bakeArgv(args) as [string, ...string[]];
  return new Promise((done) => {
    execFile(
      node,
      rest,
      {
        cwd: options.cwd,
        env: { PATH: process.env.PATH ?? "", CI: "true", ...options.env },
        maxBuffer: 64 << 20,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/**
 * A local driver with a fresh store under `work` (`work/store`) and a busybox base (`work/rootfs`), and a way to
 * bake one single-step layer on that base: what store-level tests (gc, leases) need to have images to keep or drop.
 */
export async function busyboxStore(work: string): Promise<{
  storeDir: string;
  base: ResolvedImage;
  bake: (script: string, runId?: string) => Promise<Artifact>;
}> {
  const rootfs = makeBusyboxRootfs(join(work, "rootfs"));
  const storeDir = join(work, "store");
  const ctx = {
    cwd: work,
    env: { BAKE_STORE: storeDir },
    signal: new AbortController().signal,
    reporter: recordingReporter(),
  };
  const driver = createDriver();
  const base = await driver.resolve(
    { kind: "external", ref: "dir:./rootfs", scheme: "dir", location: rootfs },
    ctx,
  );
  const bake = async (script: string, runId = "unit") => {
    const p = plan({ root: work, layers: [layer("l", [run(script)])] });
    return driver.bake({
      ...ctx,
      plan: p,
      parent: base,
      layer: p.layers[0] as PlannedLayer,
      layerIndex: 0,
      runId,
      secrets: {},
    });
  };
  return { storeDir, base, bake };
}
