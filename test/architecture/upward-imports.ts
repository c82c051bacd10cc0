import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";

// The floors of DESIGN.md's layering, lowest first. A file may import its own concern or any lower floor;
// concerns that share a floor (drivers and manifest, run and fleet) never import each other.
const FLOORS: Record<string, number> = {
  util: 0,
  "errors.ts": 0,
  "version.ts": 0,
  recipe: 1,
  plan: 2,
  // Package inventories: pure parsers and documents, used by drivers (reading images), the runner and the CLI.
  inventory: 2,
  drivers: 3,
  manifest: 3,
  run: 4,
  fleet: 4,
  cli: 5,
  "index.ts": 6,
};

/** The concern a source file belongs to: its first folder under the root, or the file name for top-level files. */
function concernOf(root: string, file: string): string {
  return relative(root, file).split("/")[0] as string;
}

/** Every relative module a file imports, statically, dynamically or for types only. */
export function importsOf(text: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  for (const match of text.matchAll(pattern)) specifiers.push(match[1] as string);
  return specifiers;
}

/** The imports in src/ that point up a floor or sideways into another concern on the same floor. */
export async function upwardImports(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
  const wrong: string[] = [];
  for (const file of files) {
    const from = concernOf(root, file);
    const fromFloor = FLOORS[from];
    if (fromFloor === undefined) {
      wrong.push(`${relative(root, file)}: concern "${from}" has no floor in the layering test`);
      continue;
    }
    for (const specifier of importsOf(await readFile(file, "utf8"))) {
      const target = resolve(dirname(file), specifier.replace(/\.js$/, ".ts"));
      if (!target.startsWith(`${root}/`)) continue;
      const to = concernOf(root, target);
      if (to === from) continue;
      const toFloor = FLOORS[to];
      if (toFloor === undefined || toFloor >= fromFloor) {
        wrong.push(`${relative(root, file)} -> ${relative(root, target)} (${from} may not import ${to})`);
      }
    }
  }
  return wrong.sort();
}

/**
 * The imports of files under `src/drivers/` that reach the manifest or the CLI, which the design keeps out of
 * drivers whatever the floors say (drivers never see the lineage manifest nor how commands print).
 */
export async function driverImportsOfManifestOrCli(root: string): Promise<string[]> {
  const entries = await readdir(join(root, "drivers"), { recursive: true, withFileTypes: true });
  const wrong: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const file = join(entry.parentPath, entry.name);
    for (const specifier of importsOf(await readFile(file, "utf8"))) {
      const to = concernOf(root, resolve(dirname(file), specifier));
      if (to === "manifest" || to === "cli") wrong.push(`${relative(root, file)} -> ${specifier}`);
    }
  }
  return wrong.sort();
}
