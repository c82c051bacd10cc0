/** The package ecosystems bake reads from an image's own package databases. */
export type Ecosystem = "deb" | "apk";

/** One installed package, as its package manager recorded it. */
export interface InstalledPackage {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  /** The architecture the package manager recorded (`amd64`, `x86_64`, `all`...), when it did. */
  arch?: string;
  /** The source package it was built from, when it differs from the name. */
  source?: string;
  /** A license expression or name, when the database records one (apk does; dpkg does not). */
  license?: string;
  /** A package URL, such as `pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12`. */
  purl: string;
}

/** The operating system an image says it is, from its `/etc/os-release`. */
export interface OsRelease {
  /** `debian`, `alpine`, `ubuntu`... */
  id: string;
  versionId?: string;
  prettyName?: string;
}

/** Everything installed in one image, as read from its package databases; no code of the image is run. */
export interface PackageInventory {
  os?: OsRelease;
  /** Sorted by ecosystem, then name, then arch. */
  packages: InstalledPackage[];
}
