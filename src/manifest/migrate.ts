import type { ManifestEntry, ParentLink } from "./types.js";

/**
 * Turns one stored line (already JSON-parsed) into the current in-memory shape. Lines written by format 1.x carry
 * `type`; format 0.9 lines have none, keep the parent as a string (or null plus `base`) and call the time `created`.
 * Ids are always checked against the stored bytes, never against the migrated object.
 */
export function migrateEntry(raw: Record<string, unknown>): ManifestEntry | undefined {
  if (raw.type === "record" || raw.type === "event") return raw as unknown as ManifestEntry;
  if (raw.type !== undefined) return undefined;
  if (typeof raw.event === "string") {
    const { created, ...rest } = raw;
    return { ...rest, type: "event", at: created } as unknown as ManifestEntry;
  }
  if (typeof raw.kind === "string") {
    const { created, parent, base, ...rest } = raw;
    const link: ParentLink =
      typeof parent === "string" ? { record: parent } : { external: base as { ref: string; id: string } };
    return { ...rest, type: "record", parent: link, createdAt: created } as unknown as ManifestEntry;
  }
  return undefined;
}
