import { compareVersions } from "./compare.js";
import type { Ecosystem } from "./types.js";

/** A package as two inventories are compared: by ecosystem, name and arch. */
export interface PackageVersion {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  arch?: string;
}

/** How the packages of image B differ from image A's. */
export interface PackageDiff {
  added: PackageVersion[];
  removed: PackageVersion[];
  upgraded: { ecosystem: Ecosystem; name: string; arch?: string; from: string; to: string }[];
  downgraded: { ecosystem: Ecosystem; name: string; arch?: string; from: string; to: string }[];
}

/** Compares two package lists; a version change is an upgrade or a downgrade by the ecosystem's own ordering. */
export function diffPackages(a: readonly PackageVersion[], b: readonly PackageVersion[]): PackageDiff {
  const key = (p: PackageVersion) => `${p.ecosystem}\u0000${p.name}\u0000${p.arch ?? ""}`;
  const left = new Map(a.map((p) => [key(p), p]));
  const right = new Map(b.map((p) => [key(p), p]));
  const diff: PackageDiff = { added: [], removed: [], upgraded: [], downgraded: [] };
  for (const [k, p] of left) if (!right.has(k)) diff.removed.push(p);
  for (const [k, q] of right) {
    const p = left.get(k);
    if (!p) {
      diff.added.push(q);
      continue;
    }
    const order = compareVersions(q.ecosystem, p.version, q.version);
    if (order === 0) continue;
    const change = {
      ecosystem: q.ecosystem,
      name: q.name,
      ...(q.arch ? { arch: q.arch } : {}),
      from: p.version,
      to: q.version,
    };
    (order < 0 ? diff.upgraded : diff.downgraded).push(change);
  }
  const byName = (x: { name: string }, y: { name: string }) =>
    x.name < y.name ? -1 : x.name > y.name ? 1 : 0;
  for (const list of Object.values(diff)) list.sort(byName);
  return diff;
}
