import { packageUrl } from "./purl.js";
import type { InstalledPackage, OsRelease } from "./types.js";

/**
 * The packages of an apk database (`/lib/apk/db/installed`): stanzas of `X:value` lines separated by blank lines,
 * where `P` is the name, `V` the version, `A` the architecture, `L` the license and `o` the origin (source) package.
 * Every stanza in it is installed.
 */
export function parseApkInstalled(text: string, options: { os?: OsRelease } = {}): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  let fields = new Map<string, string>();
  const flush = () => {
    const name = fields.get("P");
    const version = fields.get("V");
    if (name && version) {
      const arch = fields.get("A");
      const license = fields.get("L");
      const source = fields.get("o");
      packages.push({
        ecosystem: "apk",
        name,
        version,
        ...(arch ? { arch } : {}),
        ...(source && source !== name ? { source } : {}),
        ...(license ? { license } : {}),
        purl: packageUrl({
          ecosystem: "apk",
          name,
          version,
          ...(arch ? { arch } : {}),
          ...(options.os ? { os: options.os } : {}),
        }),
      });
    }
    fields = new Map();
  };
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      flush();
      continue;
    }
    // A field is one letter, a colon and the value; the first of a repeated field (file lists) is enough here.
    if (line[1] !== ":") continue;
    const key = line[0] as string;
    if (!fields.has(key)) fields.set(key, line.slice(2));
  }
  flush();
  return packages;
}
