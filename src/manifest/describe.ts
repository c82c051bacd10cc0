import { printable } from "../util/printable.js";
import { shortId } from "./hash.js";
import type { ImageRecord } from "./types.js";

/**
 * How people name a record in messages: `web#12` for images, `web layer app (3f2a9c1b7e4d)` for layers. Safe to
 * print: a name from a hand-edited manifest cannot drive the terminal.
 */
export function describeRecord(record: ImageRecord): string {
  if (record.kind === "image" && record.build !== undefined)
    return printable(`${record.lineage}#${record.build}`);
  return printable(`${record.lineage} layer ${record.layer?.name ?? "?"} (${shortId(record.id)})`);
}

/** `web#12 (3f2a9c1b7e4d)`: the name and the short id. */
export function describeWithId(record: ImageRecord): string {
  return record.kind === "image"
    ? `${describeRecord(record)} (${shortId(record.id)})`
    : describeRecord(record);
}
