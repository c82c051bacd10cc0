import type { PackageVersion } from "../inventory/package-diff.js";
import type { Ecosystem } from "../inventory/types.js";
import { cacheFilePath, readChecksummed, writeChecksummed } from "../manifest/cache-file.js";
import type { Manifest } from "../manifest/manifest.js";
import type { ImageRecord } from "../manifest/types.js";
import { recordPackages } from "./inventory-support.js";

// One package, compactly: ecosystem, name, version, arch ("" for none).
type Row = [Ecosystem, string, string, string];

/**
 * A derived index of package lists by inventory digest, in `.bake-cache/<manifest>.packages.json`, so a query
 * re-reads (and re-hashes) only inventories it has not seen. Inventories are content-addressed and never change, so
 * an entry never goes stale; deleting the file only costs time. `bake fsck` still re-hashes every inventory.
 */
export class PackageIndex {
  private readonly path: string;
  private readonly entries: Map<string, Row[]>;
  private added = false;

  private constructor(private readonly manifest: Manifest) {
    this.path = cacheFilePath(manifest.path, "packages");
    this.entries = new Map();
    const body = readChecksummed(this.path);
    if (body !== undefined) {
      try {
        for (const [digest, rows] of Object.entries(JSON.parse(body) as Record<string, Row[]>))
          this.entries.set(digest, rows);
      } catch {
        // A cache that does not parse is rebuilt.
      }
    }
  }

  static open(manifest: Manifest): PackageIndex {
    return new PackageIndex(manifest);
  }

  /** The packages named `name` in a record's inventory, or undefined when it has none. */
  async named(record: ImageRecord, name: string): Promise<PackageVersion[] | undefined> {
    const digest = record.details?.sbom;
    if (digest === undefined) return undefined;
    let rows = this.entries.get(digest);
    if (!rows) {
      const packages = (await recordPackages(this.manifest, record)) ?? [];
      rows = packages.map((p): Row => [p.ecosystem, p.name, p.version, p.arch ?? ""]);
      this.entries.set(digest, rows);
      this.added = true;
    }
    // Objects only for the rows that match: an image holds hundreds of packages, a query wants one.
    return rows
      .filter((row) => row[1] === name)
      .map(([ecosystem, rowName, version, arch]) => ({
        ecosystem,
        name: rowName,
        version,
        ...(arch ? { arch } : {}),
      }));
  }

  /** Writes what was added, best effort (a read-only directory is no error). */
  save(): void {
    if (this.added) writeChecksummed(this.path, JSON.stringify(Object.fromEntries(this.entries)));
  }
}
