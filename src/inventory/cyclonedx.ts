import { ComponentType } from "@cyclonedx/cyclonedx-library/Enums";
import { Bom, Component, NamedLicense, Tool } from "@cyclonedx/cyclonedx-library/Models";
import { JSON as CdxJson, JsonSerializer } from "@cyclonedx/cyclonedx-library/Serialize";
import { Spec1dot6 } from "@cyclonedx/cyclonedx-library/Spec";
import { bakeVersion } from "../version.js";
import type { PackageVersion } from "./package-diff.js";
import { parsePackageUrl } from "./purl.js";
import type { PackageInventory } from "./types.js";

/** The image a document describes. */
export interface InventorySubject {
  lineage: string;
  version: string;
  /** The driver's artifact id (an OCI digest, a GCE self link...). */
  artifact: string;
}

/**
 * A CycloneDX 1.6 JSON document of an image's installed packages: the image as the metadata component, its OS as
 * an `operating-system` component and each package as a `library` with its package URL. The same inventory gives
 * the same bytes (lists sorted, no timestamp or serial number), so its digest names its content.
 */
export function cycloneDxJson(inventory: PackageInventory, subject: InventorySubject): string {
  const bom = new Bom();
  bom.metadata.component = new Component(ComponentType.Container, subject.lineage, {
    version: subject.version,
    description: `image ${subject.artifact}`,
    // Fixed references: the library would otherwise draw random ones, and the same inventory must give the same bytes.
    bomRef: `bake:image:${subject.artifact}`,
  });
  bom.metadata.tools.tools.add(new Tool({ vendor: "bake", name: "bake", version: bakeVersion() }));
  if (inventory.os) {
    bom.components.add(
      new Component(ComponentType.OperatingSystem, inventory.os.id, {
        ...(inventory.os.versionId ? { version: inventory.os.versionId } : {}),
        ...(inventory.os.prettyName ? { description: inventory.os.prettyName } : {}),
        bomRef: `bake:os:${inventory.os.id}@${inventory.os.versionId ?? ""}`,
      }),
    );
  }
  for (const pkg of inventory.packages) {
    const component = new Component(ComponentType.Library, pkg.name, {
      version: pkg.version,
      bomRef: pkg.purl,
      purl: pkg.purl,
    });
    if (pkg.license) component.licenses.add(new NamedLicense(pkg.license));
    bom.components.add(component);
  }
  const serializer = new JsonSerializer(new CdxJson.Normalize.Factory(Spec1dot6));
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}

/** A package as a CycloneDX document lists it. */
export interface DocumentPackage extends PackageVersion {
  purl: string;
  license?: string;
}

/** The packages a CycloneDX JSON document lists (components with a deb or apk package URL). */
export function packagesOfCycloneDx(document: unknown): DocumentPackage[] {
  const components = (document as { components?: unknown[] } | null)?.components;
  if (!Array.isArray(components)) return [];
  const packages: DocumentPackage[] = [];
  for (const component of components) {
    const { purl, licenses } = component as { purl?: unknown; licenses?: { license?: { name?: unknown } }[] };
    if (typeof purl !== "string") continue;
    const parsed = parsePackageUrl(purl);
    const license = Array.isArray(licenses) ? licenses[0]?.license?.name : undefined;
    if (parsed) packages.push({ ...parsed, purl, ...(typeof license === "string" ? { license } : {}) });
  }
  return packages;
}
