import type { PackageVersion } from "../inventory/package-diff.js";
import type { Ecosystem } from "../inventory/types.js";
import { cacheFilePath, readChecksummed, writeChecksummed } from "../manifest/cache-file.js";
import type { Manifest } from "../manifest/manifest.js";
import type { ImageRecord } from "../manifest/types.js";
import { recordPackages } from "./inventory-support.js";

// One package version and the inventories that hold it, by their number in `digests`: ecosystem, version, arch
// ("" for none), inventory numbers.
type Row = [Ecosystem, string, string, number[]];

/** The file's body: inverted, by package name, so that a query reads one name's rows, not every inventory's list. */
interface IndexBody {
  format: 2;
  /** Inventory digests, numbered by position. */
  digests: string[];
  names: Record<string, Row[]>;
}

/**
 * A derived index of packages by name over inventory digests, in `.bake-cache/<manifest>.packages.json`, so a query
 * re-reads (and re-hashes) only inventories it has not seen. Inventories are content-addressed and never change, so
 * an entry never goes stale; deleting the file only costs time. `bake fsck` still re-hashes every inventory.
 * Images of a lineage share most package versions, so each version is stored once with the inventories holding
 * it: 500 images of ~730 packages take ~2 MB instead of ~16 MB, and a query parses that in a few milliseconds.
 */
export class PackageIndex {
  private readonly path: string;
  private readonly body: IndexBody;
  private readonly numbers = new Map<string, number>();
  /** For the name last asked: inventory number -> its rows. */
  private byInventory: { name: string; rows: Map<number, Row[]> } | undefined;
  private added = false;

  private constructor(private readonly manifest: Manifest) {
    this.path = cacheFilePath(manifest.path, "packages");
    // Names are keys from package databases: no prototype, so "__proto__" or "constructor" is just a name.
    this.body = { format: 2, digests: [], names: Object.create(null) };
    const text = readChecksummed(this.path);
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as Partial<IndexBody>;
        // An older layout, or one that does not parse, is rebuilt.
        if (parsed.format === 2 && Array.isArray(parsed.digests) && parsed.names) {
          this.body = {
            format: 2,
            digests: parsed.digests,
            names: Object.assign(Object.create(null), parsed.names),
          };
        }
      } catch {
        // Rebuilt from the inventories.
      }
    }
    this.body.digests.forEach((digest, number) => {
      this.numbers.set(digest, number);
    });
  }

  static open(manifest: Manifest): PackageIndex {
    return new PackageIndex(manifest);
  }

  /** The packages named `name` in a record's inventory, or undefined when it has none. */
  async named(record: ImageRecord, name: string): Promise<PackageVersion[] | undefined> {
    const digest = record.details?.sbom;
    if (digest === undefined) return undefined;
    let number = this.numbers.get(digest);
    if (number === undefined) number = await this.add(digest, record);
    if (this.byInventory?.name !== name) {
      const rows = new Map<number, Row[]>();
      for (const row of this.body.names[name] ?? []) {
        for (const holder of row[3]) rows.set(holder, [...(rows.get(holder) ?? []), row]);
      }
      this.byInventory = { name, rows };
    }
    return (this.byInventory.rows.get(number) ?? []).map(([ecosystem, version, arch]) => ({
      ecosystem,
      name,
      version,
      ...(arch ? { arch } : {}),
    }));
  }

  // Reads (and re-hashes) one inventory and files its packages under their names.
  private async add(digest: string, record: ImageRecord): Promise<number> {
    const packages = (await recordPackages(this.manifest, record)) ?? [];
    const number = this.body.digests.push(digest) - 1;
    this.numbers.set(digest, number);
    for (const pkg of packages) {
      const rows = this.body.names[pkg.name] ?? [];
      this.body.names[pkg.name] = rows;
      const arch = pkg.arch ?? "";
      const row = rows.find((r) => r[0] === pkg.ecosystem && r[1] === pkg.version && r[2] === arch);
      if (row) {
        if (row[3].at(-1) !== number) row[3].push(number);
      } else rows.push([pkg.ecosystem, pkg.version, arch, [number]]);
    }
    this.byInventory = undefined;
    this.added = true;
    return number;
  }

  /** Writes what was added, best effort (a read-only directory is no error). */
  save(): void {
    if (this.added) writeChecksummed(this.path, JSON.stringify(this.body));
  }
}
