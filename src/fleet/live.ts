import type { Manifest } from "../manifest/manifest.js";
import type { ManifestEvent } from "../manifest/types.js";

/** Where a record runs in a group, as far as the manifest knows. */
export interface LiveIn {
  group: string;
  /** The zone or region. */
  where: string;
  /** Instances, when known. */
  instances?: number;
  /** Set when the group's last rollout did not finish cleanly (interrupted, or failed with --no-rollback). */
  mixed?: boolean;
}

type RolloutEvent = Extract<ManifestEvent, { event: "rollout" }>;

/**
 * The records live in each managed group, by record id, from the manifest alone: a group's newest `rollout` event
 * says what it runs (the new record when it succeeded, the old one when it was rolled back, both when it stopped
 * halfway). Groups bake never rolled out count the servers `bake fleet` last observed in them.
 */
export function liveByRecord(manifest: Manifest): Map<string, LiveIn[]> {
  const live = new Map<string, LiveIn[]>();
  const add = (record: string | undefined, entry: LiveIn) => {
    if (!record) return;
    live.set(record, [...(live.get(record) ?? []), entry]);
  };
  const latest = new Map<string, RolloutEvent>();
  for (const event of manifest.events()) {
    if (event.event !== "rollout") continue;
    latest.set(`${event.rollout.group}\u0000${event.rollout.region ?? event.rollout.zone ?? ""}`, event);
  }
  const rolled = new Set<string>();
  for (const event of latest.values()) {
    const { rollout } = event;
    const where = rollout.region ?? rollout.zone ?? "";
    rolled.add(rollout.group);
    if (rollout.result === "succeeded")
      add(event.target, { group: rollout.group, where, instances: rollout.instances });
    else if (rollout.result === "rolled-back")
      add(rollout.fromRecord, { group: rollout.group, where, instances: rollout.instances });
    else {
      add(event.target, { group: rollout.group, where, mixed: true });
      add(rollout.fromRecord, { group: rollout.group, where, mixed: true });
    }
  }
  // Observations of groups bake did not roll out: servers per group per record. Servers run images, never layers:
  // the images the history lists (from its images-only index) are every record an observation can name.
  const observed = new Map<string, Map<string, { where: string; count: number }>>();
  const images = manifest.history().flatMap((lineage) => lineage.entries.map((entry) => entry.id));
  for (const id of images) {
    for (const seen of manifest.observations(id)) {
      const group = seen.details?.group;
      if (!group || rolled.has(group)) continue;
      const byGroup = observed.get(id) ?? new Map<string, { where: string; count: number }>();
      observed.set(id, byGroup);
      const entry = byGroup.get(group) ?? { where: seen.details?.zone ?? "", count: 0 };
      entry.count += 1;
      byGroup.set(group, entry);
    }
  }
  for (const [record, groups] of observed)
    for (const [group, { where, count }] of groups) add(record, { group, where, instances: count });
  return live;
}

/** `web/us-central1-a (20)`, `web/us-central1 (mid-rollout)`. */
export function describeLive(entry: LiveIn): string {
  const count = entry.mixed ? "mid-rollout" : entry.instances === undefined ? "" : String(entry.instances);
  return `${entry.group}/${entry.where}${count ? ` (${count})` : ""}`;
}
