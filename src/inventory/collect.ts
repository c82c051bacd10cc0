import { parseApkInstalled } from "./apk-db.js";
import { parseDpkgStatus } from "./dpkg-status.js";
import { parseOsRelease } from "./os-release.js";
import type { InstalledPackage, PackageInventory } from "./types.js";

/** Read-only access to an image's files as its instances would see them; nothing in the image is run. */
export interface ImageFiles {
  /** A regular file's bytes (symlinks followed inside the image), or undefined when there is none. */
  read(path: string): Promise<Buffer | undefined>;
  /** The names in a directory, or [] when there is none. */
  list(path: string): Promise<string[]>;
}

/**
 * The packages an image's own databases record: dpkg's status file and distroless's `status.d/`, and apk's
 * installed database, with the OS from `/etc/os-release` (else `/usr/lib/os-release`).
 */
export async function collectInventory(files: ImageFiles): Promise<PackageInventory> {
  const release = (await files.read("/etc/os-release")) ?? (await files.read("/usr/lib/os-release"));
  const os = release ? parseOsRelease(release.toString("utf8")) : undefined;
  const context = os ? { os } : {};
  const packages: InstalledPackage[] = [];
  const status = await files.read("/var/lib/dpkg/status");
  if (status) packages.push(...parseDpkgStatus(status.toString("utf8"), context));
  for (const name of (await files.list("/var/lib/dpkg/status.d")).sort()) {
    // distroless keeps a `<pkg>.md5sums` beside each stanza file.
    if (name.endsWith(".md5sums")) continue;
    const text = await files.read(`/var/lib/dpkg/status.d/${name}`);
    if (text) packages.push(...parseDpkgStatus(text.toString("utf8"), { ...context, statusOptional: true }));
  }
  const apk = await files.read("/lib/apk/db/installed");
  if (apk) packages.push(...parseApkInstalled(apk.toString("utf8"), context));
  return { ...(os ? { os } : {}), packages: sortPackages(packages) };
}

function sortPackages(packages: InstalledPackage[]): InstalledPackage[] {
  const key = (p: InstalledPackage) => `${p.ecosystem}\u0000${p.name}\u0000${p.arch ?? ""}`;
  const unique = new Map(packages.map((p) => [key(p), p]));
  return [...unique.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
