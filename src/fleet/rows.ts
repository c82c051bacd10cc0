import type { ServerObservation } from "../drivers/driver.js";
import type { Manifest } from "../manifest/manifest.js";
import type { ExternalBase, ImageRecord, ImageStatus } from "../manifest/types.js";
import { recordForArtifact } from "./records.js";

/** Why a server deserves attention. */
export type FleetFlag = "revoked" | "deprecated" | "outdated" | "unknown";

/** One server, the record of the image it runs, and that image's ancestry. */
export interface FleetRow {
  server: string;
  /** The exact image the platform reports (for gce, `projects/P/global/images/NAME@ID`). */
  image: string;
  details: Record<string, string>;
  record?: ImageRecord;
  status?: ImageStatus;
  /** The record first, then its parents; empty for an unknown image. */
  chain: ImageRecord[];
  base?: ExternalBase;
  /** For an outdated server: the newest active image of its lineage. */
  newest?: ImageRecord;
  flags: FleetFlag[];
}

/** Maps observed servers to records, statuses, ancestry and flags. Pure over the manifest's current state. */
export function fleetRows(manifest: Manifest, servers: readonly ServerObservation[]): FleetRow[] {
  return servers.map((server) => {
    const base = { server: server.server, image: server.image, details: server.details ?? {} };
    const record = recordForArtifact(manifest, server.image);
    if (!record) return { ...base, chain: [], flags: ["unknown"] };
    const status = manifest.status(record.id);
    const ancestry = manifest.ancestry(record.id);
    const flags: FleetFlag[] = [];
    if (status.status === "revoked") flags.push("revoked");
    if (status.status === "deprecated") flags.push("deprecated");
    const newest = newestActive(manifest, record.lineage);
    const outdated =
      newest !== undefined && newest.id !== record.id && (newest.build ?? 0) > (record.build ?? 0);
    if (outdated) flags.push("outdated");
    return {
      ...base,
      record,
      status,
      chain: ancestry.chain,
      ...(ancestry.base ? { base: ancestry.base } : {}),
      ...(outdated ? { newest } : {}),
      flags,
    };
  });
}

function newestActive(manifest: Manifest, lineage: string): ImageRecord | undefined {
  return manifest
    .records()
    .filter((r) => r.kind === "image" && r.lineage === lineage && manifest.status(r.id).status === "active")
    .sort((a, b) => (b.build ?? 0) - (a.build ?? 0))[0];
}
