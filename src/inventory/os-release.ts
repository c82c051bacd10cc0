import type { OsRelease } from "./types.js";

/**
 * Parses `/etc/os-release` (freedesktop format: `KEY=value` lines, values optionally in single or double quotes,
 * with `\` escaping within double quotes). Returns undefined without an `ID`.
 */
export function parseOsRelease(text: string): OsRelease | undefined {
  const fields = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    fields.set(line.slice(0, eq), unquote(line.slice(eq + 1)));
  }
  const id = fields.get("ID");
  if (!id) return undefined;
  const versionId = fields.get("VERSION_ID");
  const prettyName = fields.get("PRETTY_NAME");
  return {
    id,
    ...(versionId ? { versionId } : {}),
    ...(prettyName ? { prettyName } : {}),
  };
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
    return value.slice(1, -1).replace(/\\(["\\`$])/g, "$1");
  return value;
}
