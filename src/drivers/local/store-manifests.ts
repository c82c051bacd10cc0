import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { digest } from "../../util/digest.js";
import { makeDirectories } from "../../util/make-directories.js";

// The lineage manifests that record a store's images. A store is the machine's (BAKE_STORE), so projects share it,
// and `bake gc` removes every image no record references: it must know every manifest that has records, not only
// the one it was given, or a collection in one project removes what another recorded. Each build leaves the
// location of its manifest here (once: one small file per manifest), before anything is baked.

/** Where a store keeps the locations of the manifests that record its images. */
const DIR = "manifests";

/** A manifest a store knows of: its location (a path or a store URL) and the file that remembers it. */
export interface KnownManifest {
  location: string;
  file: string;
}

/** Remembers that the manifest at `location` records (or will record) images of the store at `root`. */
export function rememberManifest(root: string, location: string): void {
  const file = join(root, DIR, `${digest(location).slice("sha256:".length, "sha256:".length + 32)}.json`);
  if (existsSync(file)) return;
  makeDirectories(join(root, DIR));
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ location })}\n`);
  renameSync(temp, file);
}

/** Every manifest the store at `root` remembers; a file that cannot be read is skipped (one being written is whole). */
export function knownManifests(root: string): KnownManifest[] {
  let names: string[];
  try {
    names = readdirSync(join(root, DIR));
  } catch {
    return [];
  }
  const known: KnownManifest[] = [];
  for (const name of names.filter((each) => each.endsWith(".json")).sort()) {
    const file = join(root, DIR, name);
    try {
      const { location } = JSON.parse(readFileSync(file, "utf8")) as { location?: unknown };
      if (typeof location === "string" && location !== "") known.push({ location, file });
    } catch {
      // Not one of ours, or damaged: it names no manifest.
    }
  }
  return known;
}

/** Forgets a manifest that no longer exists. */
export function forgetManifest(known: KnownManifest): void {
  rmSync(known.file, { force: true });
}
