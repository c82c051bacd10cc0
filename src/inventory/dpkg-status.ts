import { packageUrl } from "./purl.js";
import type { InstalledPackage, OsRelease } from "./types.js";

/** Splits a Debian control file (RFC 822-like stanzas) into field maps; continuation lines are folded in. */
export function parseControlStanzas(text: string): Map<string, string>[] {
  const stanzas: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      if (current.size > 0) stanzas.push(current);
      current = new Map();
      last = undefined;
      continue;
    }
    if ((line.startsWith(" ") || line.startsWith("\t")) && last !== undefined) {
      current.set(last, `${current.get(last) ?? ""}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    current.set(last, line.slice(colon + 1).trim());
  }
  if (current.size > 0) stanzas.push(current);
  return stanzas;
}

/**
 * The installed packages of a dpkg status file: stanzas whose `Status` is `install ok installed` (packages removed
 * but not purged, or half-installed, are not). `statusOptional` is for distroless's `status.d/*` files, which are
 * control stanzas of installed packages without a `Status` field.
 */
export function parseDpkgStatus(
  text: string,
  options: { os?: OsRelease; statusOptional?: boolean } = {},
): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  for (const stanza of parseControlStanzas(text)) {
    const name = stanza.get("Package");
    const version = stanza.get("Version");
    if (!name || !version) continue;
    const status = stanza.get("Status");
    if (status === undefined ? !options.statusOptional : !isInstalled(status)) continue;
    const arch = stanza.get("Architecture");
    // `Source: name (version)` when the source version differs from the binary's.
    const source = stanza.get("Source")?.split(" ")[0];
    packages.push({
      ecosystem: "deb",
      name,
      version,
      ...(arch ? { arch } : {}),
      ...(source && source !== name ? { source } : {}),
      purl: packageUrl({
        ecosystem: "deb",
        name,
        version,
        ...(arch ? { arch } : {}),
        ...(options.os ? { os: options.os } : {}),
      }),
    });
  }
  return packages;
}

// `Status: want flag status`; only the last word says what is on disk.
function isInstalled(status: string): boolean {
  const words = status.split(/\s+/);
  return words.length === 3 && words[1] === "ok" && words[2] === "installed";
}
