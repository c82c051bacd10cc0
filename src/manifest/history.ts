import type { ManifestState } from "./state.js";
import type { HistoryEntry, HistoryOptions, ImageRecord, LineageHistory } from "./types.js";

/** Lineages in order of first appearance, each with its records newest first. */
export function buildHistory(state: ManifestState, options: HistoryOptions = {}): LineageHistory[] {
  const byLineage = new Map<string, LineageHistory>();
  for (const record of state.records) {
    if (options.lineage !== undefined && record.lineage !== options.lineage) continue;
    if (record.kind === "layer" && !options.includeLayers) continue;
    let lineage = byLineage.get(record.lineage);
    if (!lineage) {
      lineage = { lineage: record.lineage, parents: [], bases: [], entries: [] };
      byLineage.set(record.lineage, lineage);
    }
    if (record.kind === "image") noteParent(state, lineage, record);
    lineage.entries.push(entryOf(state, record));
  }
  for (const lineage of byLineage.values()) lineage.entries.reverse();
  // A channel whose image line was removed by hand would otherwise just vanish from the listing.
  for (const [name, channels] of state.channels) {
    if (options.lineage !== undefined && name !== options.lineage) continue;
    for (const [channel, target] of channels) {
      if (state.byId.has(target)) continue;
      let lineage = byLineage.get(name);
      if (!lineage) {
        lineage = { lineage: name, parents: [], bases: [], entries: [] };
        byLineage.set(name, lineage);
      }
      lineage.danglingChannels = [...(lineage.danglingChannels ?? []), { channel, target }];
    }
  }
  return [...byLineage.values()];
}

function noteParent(state: ManifestState, lineage: LineageHistory, record: ImageRecord): void {
  if ("external" in record.parent) {
    if (!lineage.bases.includes(record.parent.external.ref)) lineage.bases.push(record.parent.external.ref);
    return;
  }
  const parentLineage = state.byId.get(record.parent.record)?.lineage;
  if (parentLineage && parentLineage !== record.lineage && !lineage.parents.includes(parentLineage)) {
    lineage.parents.push(parentLineage);
  }
}

// Assigned field by field in a fixed order (the order `--json` prints them): cheaper than spreading, on big manifests.
function entryOf(state: ManifestState, record: ImageRecord): HistoryEntry {
  const status = state.status(record.id);
  const entry = { id: record.id, kind: record.kind } as HistoryEntry;
  if (record.layer) entry.layer = record.layer.name;
  entry.version = record.version;
  if (record.build !== undefined) entry.build = record.build;
  entry.createdAt = record.createdAt;
  entry.status = status.status;
  if (status.reason !== undefined) entry.reason = status.reason;
  if (status.inheritedFrom !== undefined) entry.inheritedFrom = status.inheritedFrom;
  entry.channels = status.channels;
  entry.parent = record.parent;
  entry.artifact = record.artifact;
  entry.driver = record.driver;
  return entry;
}
