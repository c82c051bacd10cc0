import { packageUrl } from "./purl.js";
import type { InstalledPackage, OsRelease } from "./types.js";

// The fields an inventory uses. A host's status file is ~700 KB, mostly descriptions and conffiles: keeping only
// these (instead of a map of every field) halves the time of a build's inventory.
const FIELDS = new Set(["Package", "Version", "Status", "Architecture", "Source"]);

/**
 * Splits a Debian control file (RFC 822-like stanzas) into maps of the fields in `fields` (every field when not
 * given); continuation lines are folded into the field they continue.
 */
export function parseControlStanzas(text: string, fields?: ReadonlySet<string>): Map<string, string>[] {
  const stanzas: Map<string, string>[] = [];
  let current = new Map<string, string>();
  // Whether the current stanza has any field line, kept or not: an empty map still ends as a stanza then.
  let fieldLines = 0;
  let last: string | undefined;
  let from = 0;
  while (from <= text.length) {
    let to = text.indexOf("\n", from);
    if (to === -1) to = text.length;
    const line = text.slice(from, to);
    from = to + 1;
    const first = line.charCodeAt(0);
    // A continuation line (space or tab) of a known field.
    if ((first === 32 || first === 9) && last !== undefined) {
      if (line.trim() !== "") {
        if (current.has(last)) current.set(last, `${current.get(last)}\n${line.slice(1)}`);
        continue;
      }
    }
    if (line.trim() === "") {
      if (fieldLines > 0) stanzas.push(current);
      current = new Map();
      fieldLines = 0;
      last = undefined;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    fieldLines += 1;
    if (fields === undefined || fields.has(last)) current.set(last, line.slice(colon + 1).trim());
  }
  if (fieldLines > 0) stanzas.push(current);
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
  for (const stanza of parseControlStanzas(text, FIELDS)) {
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
