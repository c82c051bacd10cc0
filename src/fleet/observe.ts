import type { ServerObservation } from "../drivers/driver.js";
import type { Manifest } from "../manifest/manifest.js";
import { recordForArtifact } from "./records.js";
import type { FleetRow } from "./rows.js";

/** Appends one `observe` event per server whose record differs from the last one recorded for it. */
export async function recordObservations(manifest: Manifest, rows: readonly FleetRow[]): Promise<number> {
  let count = 0;
  for (const row of rows) {
    if (!row.record || manifest.server(row.server)?.target === row.record.id) continue;
    await manifest.appendEvent({
      event: "observe",
      target: row.record.id,
      server: row.server,
      details: row.details,
    });
    count += 1;
  }
  return count;
}

/**
 * For `bake trace SERVER`: records an `observe` event for the record the named server's image is, and says
 * whether it did (the trace then starts from that observation).
 */
export async function observeServer(
  manifest: Manifest,
  servers: readonly ServerObservation[],
  name: string,
  driver: string,
): Promise<boolean> {
  const server = servers.find((s) => s.server === name);
  if (!server) return false;
  const record = recordForArtifact(manifest, server.image);
  if (!record) return false;
  await manifest.appendEvent({
    event: "observe",
    target: record.id,
    server: name,
    details: { driver, ...(server.details ?? {}) },
  });
  return true;
}
