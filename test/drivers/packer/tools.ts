import { execFileSync, spawnSync } from "node:child_process";
import { chmod, writeFile } from "node:fs/promises";
import path from "node:path";

/** The offline base image the packer tests build on (made by `.ci/make-docker-base`). */
export const BASE_IMAGE = "bake-busybox:latest";

const repoRoot = path.resolve(import.meta.dirname, "../../..");

/** Whether real Packer and a running dockerd are here; CI always has both (`.ci/run`). */
export function havePackerAndDocker(): boolean {
  const packer = spawnSync("packer", ["version"], { stdio: "ignore" });
  const docker = spawnSync("docker", ["info"], { stdio: "ignore" });
  return packer.status === 0 && docker.status === 0;
}

/** Whether real Packer is here. */
export function havePacker(): boolean {
  return spawnSync("packer", ["version"], { stdio: "ignore" }).status === 0;
}

/** Makes the busybox base image offline, once. */
export function ensureBaseImage(): void {
  execFileSync(path.join(repoRoot, ".ci/make-docker-base"), [BASE_IMAGE], { stdio: "ignore" });
}

/** Names of docker containers (running or not) whose name starts with `prefix`. */
export function containersNamed(prefix: string): string[] {
  const out = execFileSync("docker", ["ps", "-a", "--filter", `name=^/${prefix}`, "--format", "{{.Names}}"], {
    encoding: "utf8",
  });
  return out.split("\n").filter((name) => name.startsWith(prefix));
}

/** A `packer` wrapper that logs each invocation's arguments to `log`, for counting builds. */
export async function countingPacker(dir: string, log: string): Promise<string> {
  const wrapper = path.join(dir, "packer-counting");
  await writeFile(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec packer "$@"\n`);
  await chmod(wrapper, 0o755);
  return wrapper;
}
