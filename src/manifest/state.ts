import type {
  ImageRecord,
  ImageStatus,
  ManifestEntry,
  ManifestEvent,
  Observation,
  Publication,
  StatusName,
} from "./types.js";

/** A line bake could not read while loading; writes are refused until it is fixed. */
export interface UnreadableLine {
  line: number;
  message: string;
}

/**
 * The in-memory view of a manifest: every record and event with its line, and what is derived from the events
 * (channels, revocations, deprecations, observations). Built once per load and extended as lines are appended.
 */
export class ManifestState {
  readonly records: ImageRecord[] = [];
  readonly events: ManifestEvent[] = [];
  readonly unreadable: UnreadableLine[] = [];
  readonly byId = new Map<string, ImageRecord>();
  readonly lines = new Map<string, number>();
  readonly children = new Map<string, ImageRecord[]>();
  readonly imagesByLineage = new Map<string, ImageRecord[]>();
  /** lineage -> channel -> record id; the newest promote wins. */
  readonly channels = new Map<string, Map<string, string>>();
  readonly revocations = new Map<string, Extract<ManifestEvent, { event: "revoke" }>[]>();
  readonly deprecations = new Map<string, Extract<ManifestEvent, { event: "deprecate" }>>();
  /** record id -> server -> newest observation. */
  readonly observed = new Map<string, Map<string, Observation>>();
  /** server -> newest observation. */
  readonly servers = new Map<string, Observation>();
  /** Every push, in file order. */
  readonly publications: Publication[] = [];
  /** registry manifest digest -> the pushes that gave it, in file order. */
  readonly publishedDigests = new Map<string, Publication[]>();
  private readonly layersByKey = new Map<string, ImageRecord[]>();
  // Revocations with cascade: while there are none, a status never needs the ancestry walked.
  private cascades = 0;

  add(entry: ManifestEntry, line: number): void {
    this.lines.set(entry.id, line);
    if (entry.type === "record") this.addRecord(entry);
    else this.addEvent(entry);
  }

  private addRecord(record: ImageRecord): void {
    this.records.push(record);
    this.byId.set(record.id, record);
    if ("record" in record.parent) push(this.children, record.parent.record, record);
    if (record.kind === "image") push(this.imagesByLineage, record.lineage, record);
    if (record.kind === "layer" && record.layer) {
      push(this.layersByKey, `${record.driver}\u0000${record.layer.cacheKey}`, record);
    }
  }

  private addEvent(event: ManifestEvent): void {
    this.events.push(event);
    switch (event.event) {
      case "promote": {
        const channels = this.channels.get(event.lineage) ?? new Map<string, string>();
        this.channels.set(event.lineage, channels);
        channels.set(event.channel, event.target);
        break;
      }
      case "revoke":
        push(this.revocations, event.target, event);
        if (event.cascade) this.cascades += 1;
        break;
      case "deprecate":
        this.deprecations.set(event.target, event);
        break;
      case "observe": {
        const seen: Observation = {
          server: event.server,
          target: event.target,
          at: event.at,
          ...(event.details ? { details: event.details } : {}),
        };
        const byServer = this.observed.get(event.target) ?? new Map<string, Observation>();
        this.observed.set(event.target, byServer);
        const previous = this.servers.get(event.server);
        if (previous) this.observed.get(previous.target)?.delete(event.server);
        byServer.set(event.server, seen);
        this.servers.set(event.server, seen);
        break;
      }
      case "publish": {
        const publication: Publication = {
          target: event.target,
          destination: event.destination,
          digest: event.digest,
          at: event.at,
          event: event.id,
        };
        this.publications.push(publication);
        push(this.publishedDigests, event.digest, publication);
        break;
      }
      case "rollout":
        // Rollouts change no status; readers find them among the events.
        break;
    }
  }

  /** The newest layer record with this key and driver whose status is not revoked. */
  findLayer(cacheKey: string, driver: string): ImageRecord | undefined {
    const candidates = this.layersByKey.get(`${driver}\u0000${cacheKey}`) ?? [];
    for (let i = candidates.length - 1; i >= 0; i--) {
      const record = candidates[i] as ImageRecord;
      if (this.status(record.id).status !== "revoked") return record;
    }
    return undefined;
  }

  /** The record, then its parent, and so on, while parents are records of this manifest. */
  chain(id: string): ImageRecord[] {
    const chain: ImageRecord[] = [];
    const seen = new Set<string>();
    let current = this.byId.get(id);
    while (current && !seen.has(current.id)) {
      chain.push(current);
      seen.add(current.id);
      current = "record" in current.parent ? this.byId.get(current.parent.record) : undefined;
    }
    return chain;
  }

  descendants(id: string): ImageRecord[] {
    const found = new Set<ImageRecord>();
    const queue = [id];
    while (queue.length > 0) {
      for (const child of this.children.get(queue.pop() as string) ?? []) {
        if (found.has(child)) continue;
        found.add(child);
        queue.push(child.id);
      }
    }
    return [...found].sort((a, b) => (this.lines.get(a.id) ?? 0) - (this.lines.get(b.id) ?? 0));
  }

  /** Revoked (directly, or by an ancestor revoked with cascade), else deprecated, else active. */
  status(id: string): ImageStatus {
    const record = this.byId.get(id);
    const channels = record ? this.channelsOf(record) : [];
    const direct = this.revocations.get(id)?.[0];
    if (direct) return { status: "revoked", reason: direct.reason, event: direct.id, channels };
    for (const ancestor of this.cascades > 0 ? this.chain(id).slice(1) : []) {
      const cascade = this.revocations.get(ancestor.id)?.find((event) => event.cascade);
      if (cascade) {
        return {
          status: "revoked",
          reason: cascade.reason,
          event: cascade.id,
          inheritedFrom: ancestor.id,
          channels,
        };
      }
    }
    const deprecated = this.deprecations.get(id);
    if (deprecated)
      return { status: "deprecated", reason: deprecated.reason, event: deprecated.id, channels };
    return { status: "active", channels };
  }

  statusName(id: string): StatusName {
    return this.status(id).status;
  }

  channelsOf(record: ImageRecord): string[] {
    const channels = this.channels.get(record.lineage);
    const names: string[] = [];
    if (channels) for (const [name, target] of channels) if (target === record.id) names.push(name);
    return names;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
