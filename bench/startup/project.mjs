// The project bench/startup times no-change builds in: a busybox root file system, and three recipes whose bases are
// of each kind the local driver resolves differently: `dir:` (imported when its fingerprint changes), an OCI archive
// (`oci-archive:`, written by `bake export`) and a lineage parent (looked up in the manifest, inspected in the store).

import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The recipes, relative to the project directory, by the kind of base they build on. */
export const RECIPES = {
  dir: "dir/recipe.yaml",
  archive: "archive/recipe.yaml",
  lineage: "lineage/recipe.yaml",
};

/** Writes the root file system and the recipes under `dir`. */
export function writeProject(dir) {
  makeRootfs(join(dir, "rootfs"));
  const recipe = (name, from) => `apiVersion: bake/v1
name: ${name}
version: "1.0.0"
from: ${from}
target: { driver: local, network: none }
layers:
  - name: app
    steps:
      - run: mkdir -p /opt/app && echo ${name} > /opt/app/name
verify:
  - name: app name
    file: { path: /opt/app/name, contains: ${name} }
`;
  for (const [kind, from] of [
    ["dir", "dir:../rootfs"],
    ["archive", "oci-archive:../base.tar"],
    ["lineage", "startup-dir"],
  ]) {
    mkdirSync(join(dir, kind), { recursive: true });
    writeFileSync(join(dir, RECIPES[kind]), recipe(`startup-${kind}`, from));
  }
}

/**
 * Builds each recipe once (cold) with `bake(args)` run in the project directory, exporting the `dir:` image as the archive the next one starts from. Later builds
 * of the same recipes have nothing to do.
 */
export function buildProject(bake) {
  bake(["build", RECIPES.dir]);
  bake(["export", "startup-dir", "-o", "base.tar"]);
  bake(["build", RECIPES.archive]);
  bake(["build", RECIPES.lineage]);
}

// The static /bin/busybox and a symlink per applet: a small but real root file system (a few hundred entries).
function makeRootfs(root) {
  for (const sub of ["bin", "etc", "tmp", "root", "opt", "var/tmp", "proc", "dev"])
    mkdirSync(join(root, sub), { recursive: true });
  chmodSync(join(root, "tmp"), 0o1777);
  cpSync("/bin/busybox", join(root, "bin/busybox"));
  const applets = execFileSync("/bin/busybox", ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const applet of applets) if (applet !== "busybox") symlinkSync("busybox", join(root, "bin", applet));
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\n");
}
