import { existsSync } from "node:fs";
import { join } from "node:path";
import { collectInventory, type ImageFiles } from "../../inventory/collect.js";
import type { PackageInventory } from "../../inventory/types.js";
import { readdir } from "../../util/fs-async.js";
import type { InventoryInput } from "../driver.js";
import { hostBinds, isHostBased } from "./host-base.js";
import { bindOver, type ImageView, lookupImagePath, readImageFile } from "./image-fs.js";
import type { Store } from "./store.js";

// A host base shows the host's /usr and libraries read-only, so the host's own package databases describe them;
// nothing a step does can change those files, so no layer's copy could be truer.
const HOST_DATABASES = ["/var/lib/dpkg"];

/**
 * The packages of a local image, read from its package databases as its sandboxes would see them (merged layers,
 * whiteouts, and a host base's binds). Nothing in the image runs.
 */
export async function localInventory(input: InventoryInput & { store: Store }): Promise<PackageInventory> {
  const { store } = input;
  await store.hold(input.image.id);
  const image = await store.requireImage(input.image.id);
  const binds = hostBinds(image).map(({ source, target }) => ({ source, target }));
  if (isHostBased(image)) {
    for (const dir of HOST_DATABASES) if (existsSync(dir)) binds.push({ source: dir, target: dir });
  }
  const view: ImageView = { dirs: await store.unpackedLayers(image), binds };
  return collectInventory(imageFiles(view));
}

/** Read-only file access to an image view, for the pure inventory collector. */
export function imageFiles(view: ImageView): ImageFiles {
  return {
    read: (path) => readImageFile(view, path),
    list: (path) => listImageDir(view, path),
  };
}

/** The names in a directory of the image as the overlay shows it: every layer's, less whiteouts and opaque dirs. */
export async function listImageDir(view: ImageView, path: string): Promise<string[]> {
  const { path: resolved, entry } = await lookupImagePath(view.dirs, path, { followLast: true });
  const bind = bindOver(view, resolved);
  if (bind) return readdir(join(bind.source, resolved.slice(bind.target.length))).catch(() => []);
  if (!entry?.stats.isDirectory()) return [];
  const candidates = new Set<string>();
  for (const dir of view.dirs) {
    for (const name of await readdir(join(dir, resolved)).catch(() => [] as string[])) candidates.add(name);
  }
  const names: string[] = [];
  // A name counts when the overlay would show it: the lookup applies whiteouts and opaque directories.
  for (const name of [...candidates].sort()) {
    const found = await lookupImagePath(view.dirs, `${resolved}/${name}`, { followLast: false });
    if (found.entry) names.push(name);
  }
  return names;
}
