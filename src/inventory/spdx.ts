import { bakeVersion } from "../version.js";
import type { DocumentPackage } from "./cyclonedx.js";

/** The image an SPDX document describes, and what makes its namespace unique. */
export interface SpdxSubject {
  lineage: string;
  version: string;
  artifact: string;
  /** The digest of the stored inventory the document is made from. */
  sbom: string;
  /** When the image was registered (ISO 8601): the document's creation time, so an export is reproducible. */
  created: string;
}

/**
 * An SPDX 2.3 JSON document of an image's packages: the image as the described package, which CONTAINS every
 * installed package, each with its package URL as a `PACKAGE-MANAGER purl` external reference.
 */
export function spdxJson(packages: readonly DocumentPackage[], subject: SpdxSubject): string {
  const image = "SPDXRef-Image";
  const spdxPackages = packages.map((pkg, index) => ({
    SPDXID: `SPDXRef-Package-${index + 1}`,
    name: pkg.name,
    versionInfo: pkg.version,
    downloadLocation: "NOASSERTION",
    filesAnalyzed: false,
    licenseConcluded: "NOASSERTION",
    // apk records license expressions bake cannot vouch for as valid SPDX: kept as a comment instead.
    licenseDeclared: "NOASSERTION",
    ...(pkg.license ? { licenseComments: `declared by the package database: ${pkg.license}` } : {}),
    copyrightText: "NOASSERTION",
    externalRefs: [
      { referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: pkg.purl },
    ],
  }));
  const document = {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: `${subject.lineage}-${subject.version}`,
    documentNamespace: `https://bake.invalid/spdx/${encodeURIComponent(subject.lineage)}/${subject.sbom.replace(/^sha256:/, "")}`,
    creationInfo: {
      created: subject.created.replace(/\.\d+Z$/, "Z"),
      creators: [`Tool: bake-${bakeVersion()}`],
    },
    documentDescribes: [image],
    packages: [
      {
        SPDXID: image,
        name: subject.lineage,
        versionInfo: subject.version,
        downloadLocation: "NOASSERTION",
        filesAnalyzed: false,
        licenseConcluded: "NOASSERTION",
        licenseDeclared: "NOASSERTION",
        copyrightText: "NOASSERTION",
        comment: `image ${subject.artifact}`,
        primaryPackagePurpose: "CONTAINER",
      },
      ...spdxPackages,
    ],
    relationships: [
      { spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: image },
      ...spdxPackages.map((pkg) => ({
        spdxElementId: image,
        relationshipType: "CONTAINS",
        relatedSpdxElement: pkg.SPDXID,
      })),
    ],
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
