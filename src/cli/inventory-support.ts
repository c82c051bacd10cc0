import { BakeError } from "../errors.js";
import { type DocumentPackage, packagesOfCycloneDx } from "../inventory/cyclonedx.js";
import { describeWithId } from "../manifest/describe.js";
import type { Manifest } from "../manifest/manifest.js";
import { sideDataFor } from "../manifest/side-data.js";
import type { ImageRecord } from "../manifest/types.js";
import { printable } from "../util/printable.js";

/** The digest of a record's package inventory, if it has one. */
export function sbomDigest(record: ImageRecord): string | undefined {
  return record.details?.sbom;
}

/** A record's stored CycloneDX document, re-hashed against the digest its record carries. */
export async function readSbom(manifest: Manifest, record: ImageRecord): Promise<Buffer> {
  const id = sbomDigest(record);
  if (!id) {
    throw new BakeError({
      code: "no-inventory",
      message: `${printable(describeWithId(record))} has no package inventory`,
      hint:
        record.driver === "local"
          ? "images registered by an older bake have none; `bake build --no-cache` registers a new build with one"
          : record.driver === "packer" || record.driver === "gce"
            ? "its build warned why (an older bake, a last layer from the cache, a report lost on the way); `bake build --no-cache` registers a new build with one"
            : `the ${printable(record.driver)} driver does not record inventories yet`,
    });
  }
  return sideDataFor(manifest.path).get(id);
}

/** The packages of a record's inventory, or undefined when it has none. */
export async function recordPackages(
  manifest: Manifest,
  record: ImageRecord,
): Promise<DocumentPackage[] | undefined> {
  if (!sbomDigest(record)) return undefined;
  const bytes = await readSbom(manifest, record);
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString("utf8"));
  } catch {
    // The digest matched, so bake wrote these bytes; they can only fail to parse if bake has a bug.
    throw new BakeError({ code: "sbom-unreadable", message: `the inventory of ${record.id} is not JSON` });
  }
  return packagesOfCycloneDx(document);
}
