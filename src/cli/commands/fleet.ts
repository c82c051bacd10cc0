import type { ServerObservation } from "../../drivers/driver.js";
import { BakeError, ExitCode } from "../../errors.js";
import { describeRecord } from "../../manifest/describe.js";
import { shortId } from "../../manifest/hash.js";
import type { Manifest } from "../../manifest/manifest.js";
import type { ExternalBase, ImageRecord, ImageStatus } from "../../manifest/types.js";
import type { CommandRun } from "../io.js";
import { openForCommand, statusText, stdoutStyle, writeJson } from "../manifest-support.js";

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
  chain: readonly ImageRecord[];
  base?: ExternalBase;
  /** For an outdated server: the newest active image of its lineage. */
  newest?: ImageRecord;
  flags: FleetFlag[];
}

/**
 * `bake fleet [--target gce] [--recipe RECIPE] [--json]`: lists the servers the target runs, maps each boot image
 * through the manifest to its full ancestry, flags servers on revoked, deprecated, outdated or unknown images,
 * and records an `observe` event for each server whose image changed since it was last seen.
 * Exit 1 when a server runs a revoked image, else 0.
 */
export const run: CommandRun = async ({ values }, io) => {
  const target = typeof values.target === "string" ? values.target : "gce";
  if (target !== "gce") {
    throw new BakeError({
      code: "usage",
      message: `fleet: the ${target} driver does not run servers`,
      hint: "bake fleet --target gce (with BAKE_GCE_PROJECT set, or --recipe naming a gce recipe)",
    });
  }
  const manifest = await openForCommand(values, io, { mustExist: false });
  const options = typeof values.recipe === "string" ? await recipeTarget(values.recipe, io) : undefined;
  const gce = await import("../gce-commands.js");
  const servers = await gce.gceServers(io, options);
  const rows = fleetRows(manifest, servers, gce.recordForArtifact);
  const observed = await recordObservations(manifest, rows);
  if (values.json === true) {
    writeJson(io, {
      manifest: manifest.path,
      observed,
      servers: rows.map((row) => ({
        server: row.server,
        image: row.image,
        details: row.details,
        record: row.record?.id ?? null,
        lineage: row.record?.lineage ?? null,
        version: row.record?.version ?? null,
        build: row.record?.build ?? null,
        status: row.status?.status ?? null,
        reason: row.status?.reason ?? null,
        flags: row.flags,
        newest: row.newest?.id ?? null,
        ancestry: row.chain.map((record) => record.id),
        base: row.base ?? null,
      })),
    });
  } else io.stdout.write(render(rows, observed, values, io));
  return rows.some((row) => row.flags.includes("revoked")) ? ExitCode.Failed : ExitCode.Ok;
};

/** Maps observed servers to records, statuses, ancestry and flags. Pure over the manifest's current state. */
export function fleetRows(
  manifest: Manifest,
  servers: readonly ServerObservation[],
  recordFor: (manifest: Manifest, artifact: string) => ImageRecord | undefined,
): FleetRow[] {
  return servers.map((server) => {
    const base = { server: server.server, image: server.image, details: server.details ?? {} };
    const record = recordFor(manifest, server.image);
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

// One observe event per server whose image differs from the last one recorded for it.
async function recordObservations(manifest: Manifest, rows: FleetRow[]): Promise<number> {
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

async function recipeTarget(file: string, io: Parameters<CommandRun>[1]): Promise<Record<string, unknown>> {
  const { planRecipe } = await import("../../plan/plan-recipe.js");
  const { plan } = await planRecipe(file, { cwd: io.cwd, env: io.env, signal: io.signal });
  if (plan.target.driver !== "gce") {
    throw new BakeError({
      code: "usage",
      message: `fleet: ${file} builds with the ${plan.target.driver} driver, not gce`,
      hint: "give a recipe whose target is gce, or set BAKE_GCE_PROJECT",
    });
  }
  return plan.target.options;
}

function render(
  rows: FleetRow[],
  observed: number,
  values: Parameters<CommandRun>[0]["values"],
  io: Parameters<CommandRun>[1],
): string {
  const style = stdoutStyle(io, values);
  if (rows.length === 0) return "no servers found\n";
  const table = rows.map((row) => [
    row.server,
    row.details.zone ?? "",
    row.record
      ? `${describeRecord(row.record)} ${row.record.version} (${shortId(row.record.id)})`
      : row.image || "(no image)",
    verdict(row, style),
  ]);
  const widths = [0, 1, 2].map((i) =>
    Math.max(
      ...[["SERVER", "ZONE", "IMAGE"][i] as string, ...table.map((r) => r[i] as string)].map((s) => s.length),
    ),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < 3 ? cell.padEnd(widths[i] as number) : cell))
      .join("  ")
      .trimEnd();
  const out = [line(["SERVER", "ZONE", "IMAGE", "STATUS"]), ...table.map(line), ""];
  for (const row of rows) {
    if (row.chain.length === 0) continue;
    const chain = row.chain.map((record) => describeRecord(record));
    if (row.base) chain.push(row.base.ref);
    out.push(`${row.server}: ${chain.join(" <- ")}`);
  }
  const flagged = rows.filter((row) => row.flags.length > 0).length;
  out.push(
    `${rows.length} server${rows.length === 1 ? "" : "s"}, ${flagged} flagged; ${observed} observation${observed === 1 ? "" : "s"} recorded`,
  );
  return `${out.join("\n")}\n`;
}

function verdict(row: FleetRow, style: ReturnType<typeof stdoutStyle>): string {
  if (row.flags.includes("unknown")) return style.yellow("unknown to the manifest");
  const parts: string[] = [];
  if (row.status && row.status.status !== "active") parts.push(statusText(row.status, style));
  if (row.newest) parts.push(style.yellow(`outdated (newest: ${describeRecord(row.newest)})`));
  return parts.length > 0 ? parts.join(", ") : style.green("ok");
}
