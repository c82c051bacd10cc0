import { shortId } from "./hash.js";
import type { ImageRecord } from "./types.js";

/** How people name a record in messages: `web#12` for images, `web layer app (3f2a9c1b7e4d)` for layers. */
export function describeRecord(record: ImageRecord): string {
  if (record.kind === "image" && record.build !== undefined) return `${record.lineage}#${record.build}`;
  return `${record.lineage} layer ${record.layer?.name ?? "?"} (${shortId(record.id)})`;
}

/** `web#12 (3f2a9c1b7e4d)`: the name and the short id. */
export function describeWithId(record: ImageRecord): string {
  return record.kind === "image"
    ? `${describeRecord(record)} (${shortId(record.id)})`
    : describeRecord(record);
}
