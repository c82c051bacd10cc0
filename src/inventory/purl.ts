import { PackageURL } from "packageurl-js";
import type { Ecosystem, OsRelease } from "./types.js";

/** The distro namespace of a package URL when the image has no os-release to say. */
const DEFAULT_NAMESPACE: Record<Ecosystem, string> = { deb: "debian", apk: "alpine" };

/** A package URL for an installed OS package: `pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12`. */
export function packageUrl(input: {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  arch?: string;
  os?: OsRelease;
}): string {
  const qualifiers: Record<string, string> = {};
  if (input.arch) qualifiers.arch = input.arch;
  if (input.os) qualifiers.distro = input.os.versionId ? `${input.os.id}-${input.os.versionId}` : input.os.id;
  return new PackageURL(
    input.ecosystem,
    input.os?.id ?? DEFAULT_NAMESPACE[input.ecosystem],
    input.name,
    input.version,
    Object.keys(qualifiers).length > 0 ? qualifiers : undefined,
    undefined,
  ).toString();
}

/** The ecosystem, name and version a package URL names, or undefined for one bake does not read. */
export function parsePackageUrl(
  purl: string,
): { ecosystem: Ecosystem; name: string; version: string; arch?: string } | undefined {
  try {
    const parsed = PackageURL.fromString(purl);
    const arch = parsed.qualifiers?.arch;
    if ((parsed.type === "deb" || parsed.type === "apk") && parsed.version)
      return {
        ecosystem: parsed.type,
        name: parsed.name,
        version: parsed.version,
        ...(arch ? { arch } : {}),
      };
  } catch {
    // Not a package URL.
  }
  return undefined;
}
