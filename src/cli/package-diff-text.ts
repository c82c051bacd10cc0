import { diffPackages, type PackageDiff } from "../inventory/package-diff.js";
import type { Manifest } from "../manifest/manifest.js";
import type { ImageRecord } from "../manifest/types.js";
import type { Style } from "../util/style.js";
import { recordPackages } from "./inventory-support.js";
import { safe } from "./manifest-support.js";

/** How the packages of two images differ, when both have an inventory. */
export async function packageDiffOf(
  manifest: Manifest,
  a: ImageRecord,
  b: ImageRecord,
): Promise<PackageDiff | undefined> {
  const [left, right] = [await recordPackages(manifest, a), await recordPackages(manifest, b)];
  return left && right ? diffPackages(left, right) : undefined;
}

/** The `packages:` section of `bake diff`: added, removed, upgraded and downgraded, with versions. */
export function packageDiffLines(diff: PackageDiff, style: Style): string[] {
  // Package names and versions come from the images: escaped, so a hostile one cannot drive the terminal.
  const shown = safe(diff);
  const total = shown.added.length + shown.removed.length + shown.upgraded.length + shown.downgraded.length;
  if (total === 0) return ["packages: the same"];
  const out = [
    `packages: ${shown.upgraded.length} upgraded, ${shown.downgraded.length} downgraded, ${shown.added.length} added, ${shown.removed.length} removed`,
  ];
  for (const p of shown.upgraded) out.push(`  ^ ${p.name} ${style.red(p.from)} -> ${style.green(p.to)}`);
  for (const p of shown.downgraded) out.push(style.yellow(`  v ${p.name} ${p.from} -> ${p.to}`));
  for (const p of shown.added) out.push(style.green(`  + ${p.name} ${p.version}`));
  for (const p of shown.removed) out.push(style.red(`  - ${p.name} ${p.version}`));
  return out;
}
