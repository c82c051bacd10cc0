// Packs bake as npm would publish it and installs the tarball into a scratch project, as a user's project would.
// Shared by test/consumer/ and bench/library/ (plain JavaScript, so the benchmark runs without a compiler).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repo = path.resolve(fileURLToPath(import.meta.url), "../../..");

const npm = (args, cwd) =>
  execFileSync("npm", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 << 20,
  });

/**
 * Runs `npm pack` on the repository (dist/ must be built: `prepack` is skipped, as `npm test` built it) into `dir`.
 * Returns the tarball's path and the files it holds.
 */
export function packTarball(dir) {
  mkdirSync(dir, { recursive: true });
  const [result] = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], repo));
  return { tarball: path.join(dir, result.filename), files: result.files.map((file) => file.path) };
}

/** The exact version of a package installed in the repository, so a scratch install comes from npm's cache. */
export function repoVersion(name) {
  return JSON.parse(readFileSync(path.join(repo, "node_modules", name, "package.json"), "utf8")).version;
}

/**
 * Writes `project`'s package.json (keeping its other fields) with `dependencies` and runs `npm install`, preferring
 * npm's cache. Optional peer dependencies are not installed, as for a user who did not ask for them.
 */
export function installInto(project, dependencies) {
  const file = path.join(project, "package.json");
  let manifest = { name: "scratch", private: true, type: "module" };
  try {
    manifest = JSON.parse(readFileSync(file, "utf8"));
  } catch {}
  mkdirSync(project, { recursive: true });
  writeFileSync(file, `${JSON.stringify({ ...manifest, dependencies }, null, 2)}\n`);
  npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], project);
}
